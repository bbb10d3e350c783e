"""Resume text cut into passages (chalicelib.embeddings.passages): about 200 words, cut at
sentence or line ends where one is near, overlapping, at most 256 tokens each, every word in
some passage; empty, huge, CJK and unbroken text; and the excerpt the API shows (at most 300
characters, at word boundaries, "…" where cut)."""
from __future__ import annotations

import random
import re
import time

import pytest

from chalicelib.embeddings import passages as P
from chalicelib.embeddings import tokenizer

SENTENCES = [
    "Led a team of nine nurses on the night shift of a twenty-bed intensive care unit.",
    "Cared for ventilated patients after cardiac surgery and titrated vasoactive drips.",
    "Trained new graduates in sepsis recognition and early warning scores.",
    "Audited medication errors monthly and cut them by a third over two years.",
    "Spoke with families every evening about progress, prognosis and discharge plans.",
    "Moved the ward's handover from paper to the hospital's electronic record.",
    "Volunteered at a free clinic on Saturdays, mostly wound care and vaccinations.",
]


def resume(words: int, seed: int = 0) -> str:
    """Sentences of a resume, three to a line, until it has `words` words."""
    rng = random.Random(seed)
    lines, line, n = [], [], 0
    while n < words:
        sentence = rng.choice(SENTENCES)
        line.append(sentence)
        n += len(sentence.split())
        if len(line) == 3:
            lines.append(" ".join(line))
            line = []
    return "\n".join(lines + [" ".join(line)]).strip()


def word_counts(passages) -> list[int]:
    return [len(P.words(p.text)) for p in passages]


def assert_sound(text: str, passages) -> None:
    """Offsets give the text; passages are in order, overlap, fit the model, and lose nothing."""
    assert [p.number for p in passages] == list(range(len(passages)))
    for p in passages:
        assert p.text == text[p.start:p.end] and p.text.strip() == p.text and p.text
    for a, b in zip(passages, passages[1:]):
        assert a.start < b.start < a.end <= b.end  # in order, and overlapping
    if passages:
        assert max(tokenizer.count_tokens([p.text for p in passages])) <= 256
    covered = [(p.start, p.end) for p in passages]
    for s, e in P.words(text):
        assert any(ps <= s and e <= pe for ps, pe in covered), text[s:e]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t \u3000 \n"])
def test_text_without_words_has_no_passages(text):
    assert P.cut(text) == []


def test_a_short_resume_is_one_passage_of_its_whole_text():
    text = "  Night nurse, ICU.\nTwelve years.  "
    [p] = P.cut(text)
    assert p.text == "Night nurse, ICU.\nTwelve years." and (p.start, p.end) == (2, 33)


def test_passages_are_about_200_words_and_cut_at_sentence_ends():
    text = resume(1500)
    passages = P.cut(text)
    assert_sound(text, passages)
    counts = word_counts(passages)
    assert all(150 <= n <= 200 for n in counts[:-1]), counts
    for p in passages[:-1]:
        assert p.text.endswith("."), p.text[-40:]  # each sentence here ends with a full stop
    for a, b in zip(passages, passages[1:]):
        shared = len(P.words(text[b.start:a.end]))
        assert 20 <= shared <= 60, shared
        # The next passage starts where a sentence does.
        assert text[b.start - 2:b.start] in (". ", ".\n")


def test_a_line_end_is_a_cut_point_when_no_sentence_ends():
    lines = [" ".join(["python", "kubernetes", "terraform", "postgres", "kafka", "redis"][i % 6]
                      for i in range(k, k + 12)) for k in range(40)]
    text = "\n".join(lines)  # 480 words, no full stops, a line every 12 words
    passages = P.cut(text)
    assert_sound(text, passages)
    for p in passages[:-1]:
        assert text[p.end] == "\n"
    for p in passages[1:]:
        assert text[p.start - 1] == "\n"


def test_text_without_any_boundary_is_cut_by_words():
    text = " ".join(f"word{i % 50}" for i in range(1000))
    passages = P.cut(text)
    assert_sound(text, passages)
    assert len(passages) >= 5


def test_a_passage_longer_than_256_tokens_is_cut_shorter():
    # Random letters take a WordPiece token every two or three characters: 200 such words are
    # far more than 256 tokens, so the passage must shrink to fit.
    rng = random.Random(3)
    text = " ".join("".join(rng.choice("qxzjkvw") for _ in range(9)) for _ in range(800))
    passages = P.cut(text)
    assert_sound(text, passages)
    assert max(word_counts(passages)) < 150


def test_a_word_without_spaces_longer_than_a_passage_is_split():
    text = "Portfolio: " + "a1b2c3d4" * 2500 + " and more."
    passages = P.cut(text)
    assert_sound(text, passages)
    assert len(passages) > 1


def test_chinese_and_japanese_text_is_cut_by_characters():
    text = "在北京协和医院重症监护室担任护士十年，负责呼吸机病人的护理。" * 60
    passages = P.cut(text)
    assert_sound(text, passages)
    assert all(len(p.text) <= 200 for p in passages) and len(passages) >= 10


def test_a_100000_character_resume():
    text = resume(16000, seed=7)[:100_000]
    assert len(text) > 99_000
    start = time.perf_counter()
    passages = P.cut(text)
    seconds = time.perf_counter() - start
    print(f"\n{len(text)} characters, {len(P.words(text))} words: {len(passages)} passages "
          f"in {seconds:.2f} s")
    assert_sound(text, passages)
    words = len(P.words(text))
    # ~160 new words a passage (200 less the overlap of ~40).
    assert words / 170 <= len(passages) <= words / 130


def test_a_fake_token_counter_drives_the_resplit():
    text = resume(400)
    # A counter that calls every text of more than 50 words too long.
    passages = P.cut(text, count_tokens=lambda ts: [300 if len(t.split()) > 50 else 10
                                                     for t in ts])
    assert all(n <= 50 for n in word_counts(passages))
    covered = [(p.start, p.end) for p in passages]
    assert all(any(a <= s and e <= b for a, b in covered) for s, e in P.words(text))


# The excerpt the API shows.

LONG = " ".join(SENTENCES) + " Fluent in Spanish and Portuguese, conversational Italian."


def unmarked(excerpt: str) -> str:
    return excerpt.removeprefix(P.ELLIPSIS).removesuffix(P.ELLIPSIS)


def test_a_short_passage_is_shown_whole_with_whitespace_collapsed():
    assert P.excerpt("Night  nurse,\n  ICU.") == "Night nurse, ICU."


def test_an_excerpt_without_focus_is_the_start_cut_at_a_word():
    shown = P.excerpt(LONG)
    assert len(shown) <= 300 and shown.endswith(P.ELLIPSIS) and shown.startswith("Led a team")
    body = unmarked(shown)
    assert LONG.startswith(body)
    assert LONG[len(body)] == " "  # cut between words, not inside one


def test_an_excerpt_starts_at_the_sentence_that_matches_the_focus():
    shown = P.excerpt(LONG, focus="medication errors audit")
    assert len(shown) <= 300
    assert shown.startswith(P.ELLIPSIS + "Audited medication errors monthly")
    assert unmarked(shown) in LONG


def test_an_excerpt_near_the_end_fills_its_room_with_what_comes_before():
    shown = P.excerpt(LONG, focus="Spanish Portuguese")
    assert shown.startswith(P.ELLIPSIS) and not shown.endswith(P.ELLIPSIS)
    assert shown.endswith("conversational Italian.")
    assert 250 < len(shown) <= 300
    assert unmarked(shown) in LONG


@pytest.mark.parametrize("limit", [20, 100, 300])
def test_excerpts_never_pass_their_limit(limit):
    rng = random.Random(limit)
    for _ in range(50):
        text = resume(rng.randint(1, 120), seed=rng.randint(0, 10**6))
        focus = rng.choice([None, "sepsis", "families discharge", "nothing shared"])
        shown = P.excerpt(text, focus=focus, limit=limit)
        assert 0 < len(shown) <= limit
        assert unmarked(shown) in " ".join(text.split())


def test_a_single_word_longer_than_the_limit_is_cut_with_a_mark():
    shown = P.excerpt("x" * 1000)
    assert len(shown) <= 300 and shown.endswith(P.ELLIPSIS) and re.fullmatch(r"x+…", shown)
