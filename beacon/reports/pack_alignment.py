"""What the board pack's alignment section says: the latest alignment round's agreement on
who the customer is, who is accountable overall, and its flags, each figure with its
interval and n as the alignment report shows them (`analytics.alignment`)."""

from __future__ import annotations

from beacon.analytics.alignment import latest_round, round_results
from beacon.orgs.models import Organization
from beacon.reports.pack_money import MoneyBlock as Block

TITLE = "Do we agree on the customer?"
NO_ROUND = (
    "No alignment round has been answered yet. Send one at Design > Alignment: it asks "
    "product, marketing, sales and service who the customer is and who is accountable for "
    "each stage, and shows where the answers differ."
)


def alignment_section(org: Organization | int) -> list[Block]:
    latest = latest_round(org)
    if latest is None:
        return [Block(TITLE, [NO_ROUND])]
    r = round_results(latest)
    overall = r.overall
    same = "everyone named the same person" if overall.everyone_same else "not everyone agrees"
    lines = [
        f"Round “{r.round.title}”, {r.n} answers.",
        "Agreement on who the customer is (Krippendorff's alpha on the first persona "
        f"choice; 1 is perfect, 0 is chance): {r.alpha.text}.",
        f"Who is accountable for customer experience overall: {overall.distinct.short} "
        f"different people named, {same}; the most named, {overall.top_person or '-'}, by "
        f"{overall.top_share.text}; “don't know”: {overall.dont_know_share.text}.",
    ]
    blocks = [Block(TITLE, lines)]
    flags = [["Where", "Flag", "Why"]] + [[where, f.label, f.detail] for where, f in r.flags]
    if len(flags) > 1:
        blocks.append(Block("Flags", rows=flags))
    else:
        blocks.append(Block("Flags", ["No flag: every stage has an active owner most agree on."]))
    departments = [["Department", "First choice (share choosing the primary persona)"]]
    departments += [[d.name, f"{d.first_choice} ({d.primary_share.text})"] for d in r.departments]
    blocks.append(Block("Who each department designs, markets and sells for", rows=departments))
    return blocks
