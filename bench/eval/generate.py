"""Write the evaluation set for resume search (contract 8.4, "Quality"; issue 21):
bench/eval/resumes.jsonl and bench/eval/queries.json, from the hand-written facts in
professions.py and queries.py, with a seeded random generator (the same files every run: the
test regenerates them and compares byte for byte).

    .venv/bin/python bench/eval/generate.py [--check]

Each resume line: {"id", "text", "facts": {"profession", "family", "specialty", "title",
"seniority", "years", "settings", "skills", "words"}}. Its text is assembled from its facts: the
specialty's and the profession's duty phrasings (several per duty, chosen at random), generic
sentences, a skills list, education, and sometimes noise (an address, hobbies), in one of
several layouts, 150-700 words.

Grades (0..3) come from the facts alone, by grade() below; no model is consulted:
  3  the query's profession, and its specialty when it names some, and every skill it names;
  2  the query's profession otherwise (another specialty, or missing a named skill);
  1  a profession of the same family (nurse ~ midwife ~ paramedic, accountant ~ bookkeeper...);
  0  anything else (not listed in the judgements).
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
for _path in (HERE, ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from chalicelib.search.analyzer import stem, words  # noqa: E402
from professions import BY_KEY, PROFESSIONS  # noqa: E402
from queries import QUERIES, STOPWORDS  # noqa: E402

SEED = 20261207
RESUMES = HERE / "resumes.jsonl"
QUERIES_FILE = HERE / "queries.json"
MIN_WORDS, MAX_WORDS = 150, 700
PER_SPECIALTY = 3  # resumes of each specialty
MIN_PER_PROFESSION = 10

FIRST = ["Amara", "Ben", "Chloe", "Dev", "Elena", "Femi", "Grace", "Hiro", "Isla", "Jonas",
         "Kemi", "Liam", "Maya", "Noah", "Olga", "Priya", "Quentin", "Rosa", "Sam", "Tariq",
         "Uma", "Victor", "Wen", "Xavier", "Yara", "Zoe", "Aidan", "Bea", "Carlos", "Dina"]
LAST = ["Okafor", "Smith", "Nguyen", "Patel", "Kowalski", "Garcia", "O'Neill", "Haddad",
        "Jensen", "Murphy", "Rossi", "Tanaka", "Williams", "Mensah", "Fischer", "Ali", "Brown",
        "Dubois", "Singh", "Lindqvist", "Costa", "Evans", "Novak", "Ahmed", "Clarke"]
CITIES = ["Leeds", "Bristol", "Glasgow", "Cardiff", "Norwich", "Belfast", "York", "Dundee",
          "Exeter", "Preston", "Derby", "Swansea"]
STREETS = ["Mill Lane", "Church Street", "Victoria Road", "Station Road", "Park Avenue",
           "Queen's Terrace", "Elm Grove", "Harbour View"]
HOBBIES = ["Outside of work I enjoy hiking, chess and amateur photography.",
           "Interests: cycling, reading crime fiction and volunteering at a food bank.",
           "In my spare time I play five-a-side football and the guitar.",
           "Hobbies include gardening, open-water swimming and learning Spanish.",
           "Keen runner (two marathons) and member of a local choir.",
           "I enjoy travel, board games and restoring old bicycles."]
GENERIC = ["Known for a calm manner under pressure and clear communication.",
           "Reliable, punctual and organised, with excellent attention to detail.",
           "Comfortable leading a team as well as contributing as an individual.",
           "Committed to continuing professional development and reflective practice.",
           "Received an employee of the year award for dedication and teamwork.",
           "Trusted by managers to train new starters and share good practice.",
           "Fluent in English and conversational in French.",
           "Full clean driving licence.",
           "Able to prioritise competing deadlines and stay flexible."]
ACHIEVEMENTS = ["Promoted within {n} years of joining.",
                "Chosen to represent the team at a regional {label} conference.",
                "Rated outstanding in my last two annual appraisals.",
                "Introduced a checklist for {skill} that the whole department adopted.",
                "Covered the manager's role for {n} months during parental leave.",
                "Reduced complaints by {pct}% over two years.",
                "Ran induction training for {n} new colleagues on {skill}.",
                "Wrote the team's guidance on {skill}."]
COURSES = ["Leadership and management essentials, Institute of Leadership",
           "Workplace emergency aid, St John Ambulance", "Data protection and GDPR awareness",
           "Equality, diversity and inclusion", "Coaching skills for managers",
           "Project management (PRINCE2 Foundation)", "Health and safety (IOSH)",
           "Presentation skills masterclass", "Time management and personal effectiveness"]
SKILL_PROSE = ["Day to day I relied on {a}, {b} and {c}.",
               "Tools and methods: {a}, {b}, {c}.",
               "Regularly applied {a} and {b} alongside {c}."]
# Other ways to open a duty (its first verb), chosen at random: the same duty reads differently
# from one resume to the next.
VERBS = {"Managed": ["Oversaw", "Handled", "Was responsible for"],
         "Ran": ["Led", "Organised", "Coordinated"],
         "Carried out": ["Performed", "Undertook", "Completed"],
         "Prepared": ["Drew up", "Produced"],
         "Designed": ["Developed", "Created"],
         "Supported": ["Assisted", "Accompanied"],
         "Delivered": ["Provided", "Led"],
         "Advised": ["Counselled", "Gave advice to"],
         "Installed": ["Fitted", "Set up"],
         "Worked": ["Collaborated", "Served"],
         "Led": ["Headed", "Ran"],
         "Drafted": ["Wrote", "Produced"],
         "Produced": ["Prepared", "Created"],
         "Developed": ["Wrote", "Created"]}
SENIORITY = [("junior", 1, 3), ("mid", 3, 8), ("senior", 8, 15), ("lead", 12, 25)]
SENIOR_PREFIX = {"junior": ["Junior ", "Graduate ", ""], "mid": [""],
                 "senior": ["Senior ", ""], "lead": ["Lead ", "Principal ", "Senior "]}
SUMMARY_FORMS = [
    "{title} with {years} years of experience. {duty}",
    "{seniority_word} {title_lower} bringing {years} years in {label_work}. {duty}",
    "I am a {title_lower} with {years} years behind me. {duty} {generic}",
    "Experienced {title_lower} ({years} years). {generic}",
    "{title}. {years}+ years. {duty}",
]
SENIORITY_WORD = {"junior": "Early-career", "mid": "Capable", "senior": "Seasoned",
                  "lead": "Highly experienced"}
HEADINGS = [("Summary", "Experience", "Skills", "Education", "Interests"),
            ("Profile", "Work history", "Key skills", "Qualifications", "Hobbies"),
            ("About me", "Employment", "Core competencies", "Training", "Other"),
            ("PROFESSIONAL SUMMARY", "CAREER HISTORY", "SKILLS", "EDUCATION", "PERSONAL")]


def grade(facts: dict, match: dict) -> int:
    """The grade of a resume for a query, from the resume's facts and the query's match
    (professions; optional specialties; optional skills, all required)."""
    if facts["profession"] in match["professions"]:
        specialty_ok = not match.get("specialties") or facts["specialty"] in match["specialties"]
        have = {s.lower() for s in facts["skills"]}
        skills_ok = all(s.lower() in have for s in match.get("skills", ()))
        return 3 if specialty_ok and skills_ok else 2
    families = {BY_KEY[p]["family"] for p in match["professions"]}
    return 1 if facts["family"] in families else 0


def stems(text: str) -> set[str]:
    """The search analyzer's words of ``text``, stemmed (as keyword search compares them)."""
    return {stem(w) for w in words(text)}


def content_stems(query: str) -> set[str]:
    """A query's stems, function words (queries.STOPWORDS) left out."""
    return {stem(w) for w in words(query) if w not in STOPWORDS}


def paraphrase_overlaps(resumes: list[dict], queries: list[dict]) -> list[str]:
    """Every breach of the paraphrase rule: a paraphrase query's content stem found in a
    resume it grades 3."""
    text = {r["id"]: stems(r["text"]) for r in resumes}
    found = []
    for q in queries:
        if q["kind"] != "paraphrase":
            continue
        mine = content_stems(q["text"])
        for rid, g in q["judgements"].items():
            if g == 3 and mine & text[rid]:
                found.append(f"{q['id']} {q['text']!r}: {rid} has {sorted(mine & text[rid])}")
    return found


def _plan() -> list[tuple[str, str | None]]:
    """(profession, specialty) of every resume, in order."""
    plan = []
    for p in PROFESSIONS:
        specs = list(p["specialties"]) or [None]
        n = max(MIN_PER_PROFESSION, PER_SPECIALTY * len(specs))
        plan += [(p["key"], specs[i % len(specs)]) for i in range(n)]
    return plan


def _resume(rng: random.Random, number: int, key: str, spec_key: str | None) -> dict:
    p = BY_KEY[key]
    spec = p["specialties"].get(spec_key) if spec_key else None
    seniority, lo, hi = rng.choice(SENIORITY)
    years = rng.randint(lo, hi)
    city = rng.choice(CITIES)
    titles = spec["titles"] if spec else p["titles"]
    title = rng.choice(SENIOR_PREFIX[seniority]) + rng.choice(titles)
    title = title.replace("Junior RN", "RN").replace("Lead RN", "RN")
    own_duties = list(spec["duties"]) if spec else []
    rng.shuffle(own_duties)
    other = list(p["duties"])
    rng.shuffle(other)
    # the specialty's sentences come first, so a short resume still says what it is
    duty_pool = own_duties + other
    places = (spec["places"] if spec else []) + p["places"]
    skills_pool = (spec["skills"] if spec else []) + p["skills"]
    own_skills = list(spec["skills"]) if spec else []
    n_skills = rng.randint(4, min(9, len(skills_pool)))
    skills = own_skills[:max(2, min(len(own_skills), n_skills - 2))] if spec else []
    rest = [s for s in skills_pool if s not in skills]
    rng.shuffle(rest)
    skills += rest[:max(0, n_skills - len(skills))]
    if spec:  # the order on the page is not always the specialty's first
        rng.shuffle(skills)
    target = rng.choice([(MIN_WORDS + 10, 260), (240, 420), (400, MAX_WORDS - 40)])
    target_words = rng.randint(*target)
    heads = rng.choice(HEADINGS)
    bullet = rng.choice(["- ", "* ", "\u2022 ", ""])
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    generic = list(GENERIC)
    rng.shuffle(generic)
    n_jobs = {"junior": 1, "mid": 2, "senior": 3, "lead": 3}[seniority] + rng.randint(0, 1)
    job_places = [rng.choice(places).format(city=rng.choice(CITIES)) for _ in range(n_jobs)]
    settings = list(dict.fromkeys(job_places))
    end_year = 2026 - rng.randint(0, 1)

    style = rng.choice(["plain", "plain", "first_person", "prose"])

    def phrase(sentence: str) -> str:
        for verb, others in VERBS.items():
            if sentence.startswith(verb + " ") and rng.random() < 0.5:
                sentence = rng.choice(others) + sentence[len(verb):]
                break
        if style == "first_person":
            sentence = "I " + sentence[0].lower() + sentence[1:]
        return sentence

    def extras(j: int) -> list[str]:
        a, b, c = [s if s[:2].isupper() else s[0].lower() + s[1:] for s in (skills * 3)[j:j + 3]]
        wins = rng.sample(ACHIEVEMENTS, 2)
        return [rng.choice(SKILL_PROSE).format(a=a, b=b, c=c)] + [
            w.format(n=rng.randint(2, max(2, min(12, years))), pct=rng.randint(10, 45), label=p["label"],
                     skill=rng.choice(skills)) for w in wins]

    def summary() -> str:
        form = rng.choice(SUMMARY_FORMS)
        return form.format(title=title, title_lower=title[0] + title[1:] if title.isupper()
                           or title[:2].isupper() else title.lower(), years=years,
                           seniority_word=SENIORITY_WORD[seniority],
                           label_work=(spec["label"] + " " if spec else "") + p["label"] + " work",
                           duty=duty_pool[0], generic=generic[0])

    def build(n_bullets: int, with_noise: tuple[bool, bool]) -> str:
        lines = [name]
        if with_noise[0]:
            lines.append(f"{rng.randint(2, 140)} {STREETS[number % len(STREETS)]}, {city}")
        lines += ["", heads[0], summary(), "", heads[1]]
        extra = [e for j in range(n_jobs + 2) for e in extras(j)] + generic[1:4]
        again = duty_pool[1:] if n_jobs > 1 else []  # a long career repeats its duties
        again = again[1:] + again[:1]
        pool = [phrase(d) for d in duty_pool[1:]] + extra + [phrase(d) for d in again]
        pool = list(dict.fromkeys(pool))[:n_bullets]
        per_job = max(1, len(pool) // n_jobs)
        used = 0
        year = end_year
        for j, place in enumerate(job_places):
            span = max(1, years // n_jobs)
            job_title = title if j == 0 else rng.choice(titles)
            lines.append(f"{job_title}, {place} ({year - span}-{'present' if j == 0 else year})")
            year -= span
            take = per_job if j < n_jobs - 1 else len(pool) - used
            if style == "prose":
                lines.append(" ".join(pool[used:used + take]))
            else:
                lines += [bullet + sentence for sentence in pool[used:used + take]]
            used += take
            lines.append("")
        lines += [heads[2], ", ".join(skills), "", heads[3], rng.choice(p["education"]).format(
            city=rng.choice(CITIES))]
        if len(pool) > 20:  # a long resume lists its training too
            lines += ["", "Courses"] + [f"{bullet}{c} ({end_year - k - 1})" for k, c in
                                        enumerate(COURSES[number % 3::3])]
        if with_noise[1]:
            lines += ["", heads[4], HOBBIES[number % len(HOBBIES)]]
        return "\n".join(lines) + "\n"

    noise = (rng.random() < 0.5, rng.random() < 0.6)
    state = rng.getstate()
    # the smallest number of sentences that reaches the target length (each duty once: a
    # resume whose pool runs out is as long as its pool makes it)
    for n_bullets in range(1, 2 * len(duty_pool) + 27):
        rng.setstate(state)
        text = build(n_bullets, noise)
        if len(text.split()) >= target_words:
            break
    if len(text.split()) < MIN_WORDS:  # a short pool: the address and hobbies too
        rng.setstate(state)
        text = build(n_bullets, (True, True))
    count = len(text.split())
    if not MIN_WORDS <= count <= MAX_WORDS:
        raise SystemExit(f"resume {number}: {count} words")
    return {"id": f"r{number:04d}", "text": text, "facts": {
        "profession": key, "family": p["family"], "specialty": spec_key, "title": title,
        "seniority": seniority, "years": years, "settings": settings, "skills": skills,
        "words": count}}


def build_set() -> tuple[list[dict], list[dict]]:
    rng = random.Random(SEED)
    resumes = [_resume(rng, i + 1, key, spec) for i, (key, spec) in enumerate(_plan())]
    # shuffle the order so that ids do not group professions (a ranker's tie-break by id
    # would otherwise favour one)
    order = list(range(len(resumes)))
    rng.shuffle(order)
    resumes = [resumes[i] for i in order]
    for n, r in enumerate(resumes, 1):
        r["id"] = f"r{n:04d}"
    queries = []
    for q in QUERIES:
        judged = {r["id"]: g for r in resumes if (g := grade(r["facts"], q["match"]))}
        queries.append({**q, "judgements": dict(sorted(judged.items()))})
    breaches = paraphrase_overlaps(resumes, queries)
    if breaches:
        raise SystemExit("paraphrase queries share words with their resumes:\n"
                         + "\n".join(breaches))
    return resumes, queries


def render() -> tuple[str, str]:
    resumes, queries = build_set()
    lines = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in resumes)
    return lines, json.dumps(queries, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the committed files differ from a fresh generation")
    args = parser.parse_args()
    resumes, queries = render()
    if args.check:
        same = RESUMES.read_text() == resumes and QUERIES_FILE.read_text() == queries
        print("eval set up to date" if same else "eval set differs: rerun generate.py")
        return 0 if same else 1
    RESUMES.write_text(resumes)
    QUERIES_FILE.write_text(queries)
    print(f"wrote {RESUMES.name} ({resumes.count(chr(10))} resumes) and {QUERIES_FILE.name} "
          f"({len(json.loads(queries))} queries)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
