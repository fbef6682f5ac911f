"""Django forms for every input of the staff pages, one module per area.

Views never read `request.GET` or `request.POST` themselves: a form turns the strings a
browser sends into typed values (rows of the organisation, whole numbers, dates, one of a
few choices) and names the field of anything it cannot read. Every view declares the
forms it reads with `reads(...)`, so the bad-input test can send junk to every field of
every staff page.
"""
