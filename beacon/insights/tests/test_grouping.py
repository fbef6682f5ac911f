"""Candidate themes from unmatched comments: grouped by meaning, named by particular words."""

from __future__ import annotations

from beacon.insights.grouping import MIN_COHESION, group

PARKING = [
    "The car park was full when I arrived at the store",
    "Parking at the retail park costs far too much",
    "No parking spaces left near the shop entrance",
    "Car park barrier was stuck and I could not get out",
    "Finding a parking space took longer than the visit",
    "The parking machine would not take my card at the car park",
]
CHAT = [
    "Live chat answered within a minute and sorted it",
    "The chat agent in the app was quick to reply",
    "Live chat kept disconnecting before anyone answered",
    "Used the web chat instead of phoning and it was easier",
    "The chat window closed and I lost the whole conversation",
    "Chat support replied fast but could not change my plan",
]
PRAISE = ["Owen was brilliant", "Owen really helped", "Owen was so kind to me"]


def test_comments_fall_into_groups_named_by_their_subject() -> None:
    groups = group(PARKING + CHAT + PRAISE, ignore={"owen"}, min_size=3)
    by_name = {g.name: g for g in groups}
    # Three words of praise for one person are not a theme.
    assert [(g.name, g.size) for g in groups] == [("Park", 6), ("Chat", 6)]
    assert set(by_name["Park"].examples) <= set(PARKING)
    assert set(by_name["Chat"].examples) <= set(CHAT)
    assert len(by_name["Chat"].examples) == 3
    assert all(g.cohesion >= MIN_COHESION for g in groups)
    # A staff member's name never names a group.
    assert not any("owen" in g.name.lower() for g in groups)
    # The same comments give the same groups.
    assert group(PARKING + CHAT + PRAISE, ignore={"owen"}, min_size=3) == groups


def test_a_few_alike_comments_are_one_candidate() -> None:
    (only,) = group(PARKING[:4])
    assert (only.name, only.size) == ("Park", 4)
    assert "car park" in only.keywords


def test_too_few_or_empty_comments_give_no_groups() -> None:
    assert group(PARKING[:2]) == []
    assert group(["", " ", "!!", "...", "?", "-"]) == []
    # Comments with nothing in common are not a theme.
    assert group(["Parking was full", "Loved the new phone", "Bill arrived late"]) == []
