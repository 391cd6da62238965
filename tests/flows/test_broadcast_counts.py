"""Audience counts before sending follow the insight page's rules: no difference of two shown counts is under 10."""

from __future__ import annotations

from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from flows.broadcast_counts import exact_figures, shown_count
from flows.broadcast_model import AudienceFilter, AudienceProfile
from flows.disclosure import THRESHOLD
from tests.flows.test_broadcast import StaffDialogue


def profile(*groups: tuple[str | None, frozenset[str], int]) -> AudienceProfile:
    return AudienceProfile.from_members([(area, interests) for area, interests, n in groups for _ in range(n)])


def test_everyone_14_and_eh6_11_are_never_both_shown() -> None:
    members = profile(("EH6", frozenset({"walking"}), 11), (None, frozenset(), 3))
    everyone, eh6 = shown_count(members), shown_count(members, AudienceFilter("EH6"))
    assert (everyone.count, eh6.count) == (14, 11)
    assert not (everyone.exact and eh6.exact), "14 - 11 would give away the 3 members with no area"
    assert everyone.exact and not eh6.exact and eh6.at_least == 10, "everyone stays; the area goes to the ten below"


def test_the_bot_shows_everyone_14_and_eh6_only_as_at_least_10() -> None:
    talk = StaffDialogue(cards=(), audience=profile(("EH6", frozenset({"walking"}), 11), (None, frozenset(), 3)))
    talk.say("/broadcast")
    (audience,) = talk.say("Walk on Saturday")
    assert "14 people" in audience
    talk.tap("Choose an area")
    assert "EH6 (at least 10)" in talk.last_buttons and "EH6 (11)" not in talk.last_buttons
    (narrowed,) = talk.tap("EH6")
    assert "at least 10 people" in narrowed and "11" not in narrowed


def test_everyone_minus_the_areas_shown_is_never_a_small_group() -> None:
    members = profile(("EH6", frozenset(), 12), ("EH7", frozenset(), 6), ("EH8", frozenset(), 3))
    assert exact_figures(members) == {"everyone"}, "21 - 12 would give away the 9 living elsewhere"
    roomy = profile(("EH6", frozenset(), 15), ("EH7", frozenset(), 5), ("EH8", frozenset(), 2), (None, frozenset(), 5))
    assert exact_figures(roomy) == {"everyone", "area:EH6"}, "27 - 15 = 12 people elsewhere: nobody picked out"


def test_interests_are_never_exact_and_small_ones_read_fewer_than_ten() -> None:
    members = profile(("EH6", frozenset({"walking", "art"}), 25), ("EH6", frozenset({"walking"}), 4))
    walking = shown_count(members, AudienceFilter("EH6", frozenset({"walking"})))
    assert walking.count == 29 and not walking.exact and walking.at_least == 20
    nobody = shown_count(members, AudienceFilter("EH7", frozenset({"walking"})))
    assert nobody.exact and nobody.count == 0, "nobody is a number that picks nobody out"
    small = profile(("EH6", frozenset({"art"}), 7))
    assert shown_count(small).few and shown_count(small, AudienceFilter("EH6")).few


AREAS = (None, "EH6", "EH7", "EH8", "EH9")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(AREAS), st.integers(min_value=0, max_value=40)), max_size=8))
def test_no_difference_of_two_exact_counts_and_no_remainder_is_under_ten(sizes: list[tuple[str | None, int]]) -> None:
    members = profile(*((area, frozenset(), n) for area, n in sizes))
    shown = {
        name: shown_count(members, AudienceFilter(area))
        for name, area in [("everyone", None), *((f"area:{a}", a) for a, _ in members.areas())]
    }
    exact = {name: count.count for name, count in shown.items() if count.exact and count.count}
    assert all(n >= THRESHOLD for n in exact.values())
    for (one, a), (other, b) in combinations(exact.items(), 2):
        if "everyone" in (one, other):  # everyone holds each area: their difference is a group of people
            assert abs(a - b) == 0 or abs(a - b) >= THRESHOLD
    if "everyone" in exact:
        rest = exact["everyone"] - sum(n for name, n in exact.items() if name != "everyone")
        assert rest == 0 or rest >= THRESHOLD


def test_counts_after_sending_are_exact_only_for_news_to_everyone_so_two_sent_counts_give_nothing_away() -> None:
    from flows.broadcast_counts import after_sending

    everyone, eh6 = after_sending(14, AudienceFilter()), after_sending(11, AudienceFilter(area="EH6"))
    assert everyone.exact and not eh6.exact, "'everyone 14' and 'EH6 11' are never both shown"
    assert after_sending(3, AudienceFilter()).few and after_sending(0, AudienceFilter(area="EH6")).exact
