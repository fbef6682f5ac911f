"""Money beside experience: retention, revenue, cost to serve and the triple crown.

Everything here is read side. The worker computes (`report.refresh`) and stores each
result with its as-of time through `outcomes.actions.do_store_report`; pages and the API
read the stored result (`report.stored_report`) and never fit a model during a request.
"""
