"""The evaluation queries, hand-written, each with what it asks for in terms of the resumes'
facts (``match``: professions, optionally specialties and skills); generate.grade() turns that
into graded judgements. Three kinds:

- keyword: the words a recruiter types into a search box ("icu nurse", "python django");
- natural: a sentence that uses some of the resumes' own words;
- paraphrase: says what the person does in other words: after lowercasing, dropping STOPWORDS
  and stemming (the search analyzer's Snowball stem), none of its words occurs in any resume it
  grades 3 (tests/test_eval_set.py checks it; generate.py refuses to write a set that breaks it).
"""
from __future__ import annotations

# Function words a paraphrase may share with anything: they carry no topic.
STOPWORDS = frozenset("""a an the of for and or on in to with who that at from how out up by
when is are our we what before after across about into over under our""".split())


def Q(qid: str, kind: str, text: str, professions: list[str], specialties: list[str] = (),
      skills: list[str] = ()) -> dict:
    match = {"professions": list(professions)}
    if specialties:
        match["specialties"] = list(specialties)
    if skills:
        match["skills"] = list(skills)
    return {"id": qid, "kind": kind, "text": text, "match": match}


QUERIES: list[dict] = [
    Q("k01", "keyword", "icu nurse", ["nurse"], ["critical_care"]),
    Q("k02", "keyword", "python django", ["software_engineer"], skills=["Python", "Django"]),
    Q("k03", "keyword", "pastry chef", ["chef"], ["pastry"]),
    Q("k04", "keyword", "hgv driver", ["driver"], ["long_haul"]),
    Q("k05", "keyword", "tax accountant", ["accountant"], ["tax"]),
    Q("k06", "keyword", "criminal defence solicitor", ["lawyer"], ["criminal"]),
    Q("k07", "keyword", "react typescript", ["software_engineer"], ["frontend"]),
    Q("k08", "keyword", "civil engineer", ["civil_engineer"]),
    Q("k09", "keyword", "electrician", ["electrician"]),
    Q("k10", "keyword", "primary teacher", ["teacher"], ["early_years"]),
    Q("k11", "keyword", "child protection social worker", ["social_worker"], ["child_protection"]),
    Q("k12", "keyword", "hospital pharmacist", ["pharmacist"], ["hospital"]),
    Q("k13", "keyword", "ux designer figma", ["ux_designer"]),
    Q("k14", "keyword", "midwife", ["midwife"]),
    Q("k15", "keyword", "kubernetes terraform", ["devops_engineer"]),
    Q("k16", "keyword", "machine learning python", ["data_scientist"]),
    Q("k17", "keyword", "gas safe plumber", ["plumber"]),
    Q("k18", "keyword", "audit manager", ["accountant"], ["audit"]),

    Q("n01", "natural", "nurse with experience in a busy emergency department", ["nurse"],
      ["emergency"]),
    Q("n02", "natural", "experienced secondary school maths teacher for GCSE classes",
      ["teacher"], ["secondary_maths"]),
    Q("n03", "natural", "chef who can run the grill in a high volume restaurant kitchen",
      ["chef"], ["line"]),
    Q("n04", "natural", "lawyer who handles dismissal and discrimination tribunal claims",
      ["lawyer"], ["employment"]),
    Q("n05", "natural", "engineer who designs power distribution for substations",
      ["electrical_engineer"]),
    Q("n06", "natural", "designer to create a logo and brand identity for our startup",
      ["graphic_designer"]),
    Q("n07", "natural", "van driver for parcel deliveries around the city", ["driver"],
      ["delivery"]),
    Q("n08", "natural", "social worker assessing older adults' care needs", ["social_worker"],
      ["adult"]),
    Q("n09", "natural", "mechanical engineer with solidworks and automotive experience",
      ["mechanical_engineer"]),
    Q("n10", "natural", "physiotherapist for sports and back pain rehabilitation",
      ["physiotherapist"]),
    Q("n11", "natural", "someone to run our payroll and VAT returns", ["bookkeeper"]),
    Q("n12", "natural", "mobile developer who has shipped apps on iOS and Android",
      ["software_engineer"], ["mobile"]),
    Q("n13", "natural", "mental health nurse experienced with psychosis", ["nurse"],
      ["mental_health"]),
    Q("n14", "natural", "corporate lawyer for a merger and due diligence", ["lawyer"],
      ["corporate"]),
    Q("n15", "natural", "architect to design a house extension and get planning permission",
      ["architect"]),

    Q("p01", "paraphrase", "looks after gravely ill people on life support", ["nurse"],
      ["critical_care"]),
    Q("p02", "paraphrase", "taught young children", ["teacher"], ["early_years"]),
    Q("p03", "paraphrase", "keeps the books for small firms", ["bookkeeper"]),
    Q("p04", "paraphrase", "makes cakes and desserts", ["chef"], ["pastry"]),
    Q("p05", "paraphrase", "moves freight across the country on big rigs", ["driver"],
      ["long_haul"]),
    Q("p06", "paraphrase", "fixes the wiring in houses", ["electrician"]),
    Q("p07", "paraphrase", "sorts out dripping faucets and clogged sinks", ["plumber"]),
    Q("p08", "paraphrase", "stands up for the accused before a judge and jury", ["lawyer"],
      ["criminal"]),
    Q("p09", "paraphrase", "keeps kids safe from abuse at home", ["social_worker"],
      ["child_protection"]),
    Q("p10", "paraphrase", "teaches computers to spot patterns in numbers", ["data_scientist"]),
    Q("p11", "paraphrase", "makes apps easy to use", ["ux_designer"]),
    Q("p12", "paraphrase", "checks that the pills people get are safe together", ["pharmacist"]),
    Q("p13", "paraphrase", "first on the scene when someone collapses", ["paramedic"]),
    Q("p14", "paraphrase", "puts up bridges and tunnels", ["civil_engineer"]),
    Q("p15", "paraphrase", "helps people walk again after an injury", ["physiotherapist"]),
    Q("p16", "paraphrase", "finds the right staff for companies", ["hr_specialist"]),
    Q("p17", "paraphrase", "treats sick pets", ["veterinarian"]),
    Q("p18", "paraphrase", "delivers babies", ["midwife"]),
    Q("p19", "paraphrase", "sorts out what people owe the government", ["accountant"], ["tax"]),
    Q("p20", "paraphrase", "builds the part of websites people click on", ["software_engineer"],
      ["frontend"]),
]
