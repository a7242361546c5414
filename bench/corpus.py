"""Generate realistic career guides (seniority x field x job family) until a target chunk count is reached.

python bench/corpus.py --chunks 1000 --out DIR [--seed 7] [--with-seed-guide]

Guide i is the same whatever the target, so a 10k corpus starts with the 1k corpus. Every guide has the
seed guide's `##` question sections; facts (salary, hourly pay, openings, growth, years) vary per role and
are listed in DIR/.manifest.json (hidden files are not ingested), which also feeds generated questions.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from common import MAX_BYTES, SEED_GUIDE, emit, log

GENERATOR_VERSION = 1  # bump when the generated text changes: cached corpora and indexes are then rebuilt
SENIORITY = {"": 1.0, "Junior": 0.72, "Associate": 0.82, "Senior": 1.25, "Lead": 1.38, "Staff": 1.45,
             "Principal": 1.6}
INDUSTRIES = ["Healthcare", "Finance", "Retail", "Government", "Energy", "Education", "Manufacturing", "Media",
              "Logistics", "Insurance"]

# field -> what the work is about; each domain has its own families, tools, subjects, employers and pay.
DOMAINS = {
    "tech": {
        "fields": {
            "Data": "data pipelines and analytics platforms", "Software": "reliable software products",
            "Cloud": "cloud infrastructure and services", "Security": "defences that keep systems and data safe",
            "DevOps": "build, release and deployment automation", "Mobile": "apps for phones and tablets",
            "Web": "websites and web applications", "Database": "databases that store critical records",
            "Network": "networks that connect offices and data centers",
            "Embedded Systems": "software that runs inside devices", "Computer Vision": "systems that interpret images",
            "Robotics": "robots and their control software", "Quality Assurance": "test plans and automated tests",
            "Site Reliability": "monitoring and uptime of production services", "Game": "video games and engines",
            "Natural Language Processing": "systems that understand text and speech",
        },
        "families": ["Engineer", "Developer", "Architect", "Analyst", "Specialist", "Consultant", "Manager",
                     "Scientist"],
        "tools": ["Python", "Java", "Go", "SQL", "Kubernetes", "Docker", "Terraform", "AWS", "Azure", "Git", "Linux",
                  "Spark", "React", "C++", "Rust", "PostgreSQL"],
        "subjects": ["computer science", "software engineering", "mathematics", "information systems",
                     "electrical engineering", "statistics"],
        "employers": ["technology companies", "banks", "startups", "consultancies", "government agencies",
                      "online retailers", "telecom providers"],
        "pay": 98_000,
    },
    "business": {
        "fields": {
            "Marketing": "campaigns that win and keep customers", "Finance": "budgets, forecasts and reports",
            "Sales": "revenue targets and client relationships", "Product": "product roadmaps and launches",
            "Supply Chain": "the flow of goods from suppliers to customers",
            "Human Resources": "hiring, pay and employee development", "Operations": "efficient daily operations",
            "Business Intelligence": "dashboards that guide decisions", "Accounting": "accurate financial records",
            "Procurement": "purchasing and supplier contracts",
        },
        "families": ["Analyst", "Manager", "Specialist", "Consultant", "Coordinator", "Director"],
        "tools": ["Excel", "Salesforce", "SAP", "Tableau", "Power BI", "HubSpot", "Jira", "SQL", "Google Analytics",
                  "Workday"],
        "subjects": ["business administration", "economics", "finance", "marketing", "management", "accounting"],
        "employers": ["corporations", "consulting firms", "retail chains", "manufacturers", "nonprofits", "banks"],
        "pay": 74_000,
    },
    "health": {
        "fields": {
            "Clinical": "patient care and clinical procedures", "Nursing": "nursing teams and patient wellbeing",
            "Pharmacy": "safe dispensing of medicines", "Radiology": "medical imaging and scans",
            "Public Health": "programmes that keep communities healthy",
            "Health Informatics": "patient records and health data systems", "Laboratory": "diagnostic lab tests",
        },
        "families": ["Specialist", "Coordinator", "Manager", "Technician", "Analyst"],
        "tools": ["Epic", "Cerner", "electronic health records", "lab information systems", "SAS", "R", "Excel",
                  "PACS"],
        "subjects": ["nursing", "biology", "public health", "health sciences", "chemistry", "health administration"],
        "employers": ["hospitals", "clinics", "public health departments", "laboratories", "insurers",
                      "research institutes"],
        "pay": 66_000,
    },
    "creative": {
        "fields": {
            "UX": "easy and pleasant digital experiences", "Graphic": "visual identities and layouts",
            "Content": "articles, videos and social posts", "Brand": "a consistent brand voice",
            "Motion": "animations and motion graphics", "Interior": "functional and attractive interiors",
        },
        "families": ["Designer", "Manager", "Strategist", "Specialist"],
        "tools": ["Figma", "Adobe Photoshop", "Illustrator", "After Effects", "Sketch", "InDesign", "Canva",
                  "Blender"],
        "subjects": ["graphic design", "communication", "fine arts", "media studies", "human-computer interaction"],
        "employers": ["agencies", "publishers", "technology companies", "studios", "retail brands"],
        "pay": 64_000,
    },
    "engineering": {
        "fields": {
            "Mechanical": "machines and mechanical parts", "Electrical": "electrical systems and power supplies",
            "Civil": "roads, bridges and buildings", "Chemical": "chemical processes and plants",
            "Environmental": "solutions to pollution and waste", "Aerospace": "aircraft and spacecraft",
            "Biomedical": "medical devices and equipment",
        },
        "families": ["Engineer", "Technician", "Designer", "Manager"],
        "tools": ["AutoCAD", "SolidWorks", "MATLAB", "ANSYS", "Revit", "LabVIEW", "Python", "Simulink"],
        "subjects": ["mechanical engineering", "electrical engineering", "civil engineering", "physics",
                     "chemical engineering", "applied mathematics"],
        "employers": ["manufacturers", "construction firms", "utilities", "defence contractors",
                      "engineering consultancies", "government agencies"],
        "pay": 86_000,
    },
}
FAMILY_PAY = {"Engineer": 1.05, "Developer": 1.0, "Architect": 1.25, "Analyst": 0.88, "Specialist": 0.9,
              "Consultant": 1.05, "Manager": 1.2, "Scientist": 1.15, "Coordinator": 0.78, "Director": 1.5,
              "Technician": 0.7, "Designer": 0.92, "Strategist": 1.0}
FAMILY_DUTY = {
    "Engineer": "designs, builds and maintains", "Developer": "writes and improves the code behind",
    "Architect": "plans the overall structure of", "Analyst": "studies data and processes around",
    "Specialist": "brings deep expertise to", "Consultant": "advises organisations on",
    "Manager": "leads the people and plans responsible for", "Scientist": "researches and models",
    "Coordinator": "organises the schedules and resources for", "Director": "sets strategy and budgets for",
    "Technician": "installs, tests and repairs", "Designer": "creates and refines",
    "Strategist": "shapes the long-term direction of",
}
YEARS = {"": "one to two", "Junior": "less than a year", "Associate": "one to three", "Senior": "three to five",
         "Lead": "five to seven", "Staff": "six to eight", "Principal": "eight to ten"}
NUMBER_WORDS = {2: "two", 3: "three", 4: "four"}


@dataclass(frozen=True)
class Role:
    """One generated role and the facts its guide states."""

    name: str
    slug: str
    domain: str
    field: str
    family: str
    seniority: str
    salary: str
    hourly: str
    openings: str
    growth: str
    current: str
    degree_years: str
    experience_years: str


def role_names() -> list[tuple[str, str, str, str, str]]:
    """Every (name, domain, field, family, seniority): base combinations first, then '... in <industry>'."""
    base = [
        (domain, field, family, level)
        for domain, spec in DOMAINS.items()
        for field in spec["fields"]
        for family in spec["families"]
        for level in SENIORITY
    ]
    random.Random("role-order").shuffle(base)
    out = [(" ".join(filter(None, [lv, f, fam])), d, f, fam, lv) for d, f, fam, lv in base]
    for industry in INDUSTRIES:
        out += [(f"{name} in {industry}", d, f, fam, lv) for name, d, f, fam, lv in out[: len(base)]]
    return out


def make_role(i: int, seed: int) -> Role:
    names = role_names()
    name, domain, field, family, level = names[i % len(names)]
    if i >= len(names):
        name = f"{name} (edition {i // len(names) + 1})"
    rng = random.Random(f"{seed}:{i}:facts")
    pay = DOMAINS[domain]["pay"] * SENIORITY[level] * FAMILY_PAY[family] * rng.uniform(0.85, 1.18)
    salary = round(pay / 10) * 10
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return Role(
        name, f"{i:05d}-{slug}", domain, field, family, level,
        f"${salary:,}", f"${salary / 2080:.2f}", f"{rng.randint(8, 600) * 100:,}", f"{rng.uniform(0.8, 16):.1f}%",
        str(rng.randint(35, 4800)), NUMBER_WORDS[2 if family in ("Technician", "Coordinator") else 4],
        YEARS[level],
    )


def _plural(name: str) -> str:
    head, sep, tail = name.partition(" in ")
    return f"{head}s{sep}{tail}"


def _a(word: str) -> str:
    return "an" if word[:1].upper() in "AEIOU" else "a"


# Interchangeable wordings: each guide draws one option per slot, so guides share templates, not sentences.
PHRASES = {
    "partners": ["colleagues", "stakeholders", "clients", "cross-functional teams"],
    "inputs": ["goals", "requirements", "ideas", "problems"],
    "outputs": ["results", "plans", "working solutions"],
    "side_a": ["technical teams", "business leaders", "customers"],
    "side_b": ["operations", "management", "suppliers", "end users"],
    "task": ["planning", "reviewing", "documenting", "testing"],
    "measure": ["measuring", "reporting on", "improving"],
    "solve": ["solving problems", "answering questions", "fixing issues"],
    "when": ["Day to day", "In a typical week", "On most days"],
    "balance": ["balance", "juggle", "divide time between"],
    "work_a": ["meetings", "focused project work", "reviews"],
    "work_b": ["hands-on tasks", "research", "mentoring"],
    "skill": ["communicate clearly", "pay close attention to detail", "manage their time well"],
    "learn": ["stay current with new methods", "keep learning", "adapt to changing priorities"],
    "enjoy": ["solving problems", "working with people", "building things", "making sense of complex information"],
    "takes": ["planning", "commitment", "steady effort"],
    "virtue": ["curiosity", "patience", "practice"],
    "path": ["well defined", "flexible", "clear"],
    "extra": ["Some prefer a master's degree for advanced positions.", "Certifications can help candidates stand out.",
              "A strong portfolio can matter as much as grades."],
    "experience": ["Complete internships", "Take on volunteer projects", "Join entry-level teams"],
    "portfolio": ["Document your projects", "Collect examples of your work", "Write case studies"],
    "apply": ["Tailor your resume to each posting", "Network with people already in the field",
              "Use job boards and referrals"],
    "speedup": ["Internships shorten this stage.", "Mentors can speed this up.", "Side projects help a lot."],
    "adjective": ["motivated", "skilled", "experienced", "talented"],
    "deliver": ["Plan and deliver", "Own and improve", "Design and run"],
    "partner": ["Collaborate with", "Partner with", "Support"],
    "audience": ["product teams", "managers", "clients", "other departments"],
    "track": ["Track", "Measure", "Report"],
    "share": ["findings", "progress", "recommendations"],
    "docs": ["processes", "standards", "checklists"],
    "senior_duty": ["Mentor junior colleagues", "Review the work of peers", "Train new team members"],
    "junior_duty": ["Learn from senior colleagues", "Take part in reviews", "Join training sessions"],
    "soft": ["Strong communication skills", "Excellent organisational skills", "Sound analytical judgement"],
    "attitude": ["Ability to work independently and in a team", "Comfort with deadlines",
                 "Curiosity and a willingness to learn"],
    "nature": ["varied", "demanding", "rewarding", "fast-paced"],
    "plus_a": ["competitive pay", "stable demand", "room to grow"],
    "plus_b": ["interesting projects", "a sense of purpose", "a broad professional network"],
    "minus": ["deadlines can be tight", "the workload can be uneven", "priorities change often"],
    "pay_note": ["Pay rises with experience and location.", "Bonuses and benefits add to the total.",
                 "Large employers tend to pay more."],
    "driver": ["Demand is driven by", "Hiring is fueled by", "Growth comes from"],
    "cause_a": ["new technology", "an ageing workforce", "tighter regulation", "digital transformation"],
    "cause_b": ["expanding markets", "retirements", "rising customer expectations", "public investment"],
}
PROS = ["High demand for skilled professionals.", "Good pay and benefits.", "Opportunities in many industries.",
        "Work that makes a visible difference.", "Clear paths for promotion.", "Continuous learning on the job.",
        "Options for remote or hybrid work."]
CONS = ["Long hours near deadlines.", "Pressure to keep skills current.", "Stressful periods when things go wrong.",
        "Competition for the best positions.", "Repetitive tasks at times.", "Frequent meetings and context switching.",
        "On-call duties or shift work in some employers."]
GUIDE = """---
title: {r} Career Guide
role: {r}
last_reviewed: 2026-11-23
---

# {r} Career Guide

## What does {a} {r} do?

{A} {r} {duty} {focus}. They work with {partners} to turn {inputs} into {outputs}. \
The role sits between {side_a} and {side_b}. \
Typical work includes {task} tasks, {measure} outcomes and {solve} as they come up. \
Most {rs} use tools such as {tool0} and {tool1} every day.

{when}, they {balance} {work_a} and {work_b}. {level_note} They must {skill} and {learn}. \
It is a good fit for people who enjoy {enjoy}.

## How to become {a} {r}?

Becoming {a} {r} takes {takes} and {virtue}. The path is {path}, and many people reach it from related jobs.

Education comes first for most people. Employers usually look for a degree in {subject0} or {subject1}. {extra}

{steps}

## How long does it take to become {a} {r}?

Most people start with a degree, which takes about {degree_years} years to complete. \
During that time they study {subject0} and {subject2}.

After the degree, gaining experience usually takes {experience_years} years in related roles. {speedup}

A master's degree or a specialised certification can add another one to two years. \
It often opens the door to better-paid work.

## {r} Job Description Sample

We are looking for {a} {adjective} {r} to join our team. \
The ideal candidate has experience with {focus} and works well with others.

Responsibilities:

{responsibilities}

Qualifications

{qualifications}

## Is becoming {a} {r} a good career path?

{rs} are needed by {employer0}, {employer1} and {employer2}. \
The work is {nature} and the skills transfer well to other roles.

Being {a} {r} offers both rewards and challenges. On the plus side, the job comes with {plus_a} and {plus_b}. \
However, {minus}, and the field expects people to keep their skills current.

Here are some pros and cons to think about:

- Pros:
{pros}
- Cons:
{cons}

## What is the job outlook for {a} {r}?

The job outlook for {rs} is {pace}. About {openings} positions open each year. \
The BLS projects {growth} growth in jobs from 2022 to 2032.

The average national annual salary is {salary}. Hourly, that is about {hourly} per hour. {pay_note}

{driver} {cause_a} and {cause_b}. {Employer0} and {employer1} are expected to hire the most.

Currently {current} {r} job openings, nationwide.
"""


def guide_text(role: Role, seed: int) -> str:
    """The Markdown guide for one role: the seed guide's six question sections, templated with varied wording."""
    rng = random.Random(f"{seed}:{role.slug}:text")
    spec = DOMAINS[role.domain]
    words = {slot: rng.choice(options) for slot, options in PHRASES.items()}
    tools = rng.sample(spec["tools"], 4)
    subjects = rng.sample(spec["subjects"], 3)
    employers = rng.sample(spec["employers"], 3)
    senior = role.seniority in ("Senior", "Lead", "Staff", "Principal")
    a = _a(role.name)
    steps = [
        f"- Get a degree: Start with a bachelor's degree in {subjects[0]}, {subjects[1]}, or a related field.",
        f"- Learn the tools: Practice with {tools[0]}, {tools[2]} and {tools[3]} until you can use them well.",
        f"- Gain practical experience: {words['experience']} at {employers[0]} or {employers[1]}. "
        "Real projects teach what classes cannot.",
        f"- Build a portfolio: {words['portfolio']} so employers can see your abilities.",
        f"- Apply for jobs: {words['apply']}.",
    ]
    if role.seniority not in ("", "Junior", "Associate"):
        steps.insert(4, f"- Grow into seniority: Spend {role.experience_years} years in related roles before "
                        f"applying for {role.seniority.lower()} positions.")
    responsibilities = [
        f"- {words['deliver']} work on {spec['fields'][role.field]}.",
        f"- {words['partner']} {words['audience']} to set priorities.",
        f"- {words['track']} results and share {words['share']} with stakeholders.",
        f"- Keep documentation and {words['docs']} up to date.",
        f"- {words['senior_duty'] if senior else words['junior_duty']}.",
    ]
    qualifications = [
        f"- Bachelor's degree in {subjects[0]}, {subjects[2]}, or a related field.",
        f"- {role.experience_years.capitalize()} years of experience as {a} {role.name} or in a similar role.",
        f"- Working knowledge of {tools[0]}, {tools[1]} and {tools[3]}.",
        f"- {words['soft']}.",
        f"- {words['attitude']}.",
    ]
    growth = float(role.growth.rstrip("%"))
    return GUIDE.format(
        **words, **asdict(role), r=role.name, a=a, A=a.capitalize(), rs=_plural(role.name),
        duty=FAMILY_DUTY[role.family], focus=spec["fields"][role.field],
        tool0=tools[0], tool1=tools[1], subject0=subjects[0], subject1=subjects[1], subject2=subjects[2],
        employer0=employers[0], employer1=employers[1], employer2=employers[2], Employer0=employers[0].capitalize(),
        level_note="Senior people in this role also mentor others and set standards." if senior
        else "People new to the role learn quickly from more experienced colleagues.",
        steps="\n".join(steps), responsibilities="\n".join(responsibilities), qualifications="\n".join(qualifications),
        pros="\n".join(f"  - {p}" for p in rng.sample(PROS, 4)),
        cons="\n".join(f"  - {c}" for c in rng.sample(CONS, 4)),
        pace="strong" if growth >= 10 else "steady" if growth >= 5 else "modest",
    )


def chunks_in(path: Path, folder: Path, count_tokens: object) -> int:
    from chatbot.chunking import chunk_guide
    from chatbot.documents import load_guide

    return len(chunk_guide(load_guide(path, folder, MAX_BYTES), count_tokens))  # type: ignore[arg-type]


def generate(out: Path, chunks: int, seed: int = 7, with_seed_guide: bool = True) -> dict[str, object]:
    """Write guides into `out` until they hold at least `chunks` chunks (the seed guide is not counted)."""
    from chatbot.embeddings import make_embedder

    started = time.perf_counter()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    count_tokens = make_embedder().count_tokens
    roles: list[Role] = []
    total = 0
    while total < chunks:
        role = make_role(len(roles), seed)
        path = out / f"{role.slug}.md"
        path.write_text(guide_text(role, seed), encoding="utf-8")
        total += chunks_in(path, out, count_tokens)
        roles.append(role)
        if len(roles) % 500 == 0:
            log(f"corpus: {len(roles)} guides, {total} chunks")
    if with_seed_guide:
        shutil.copy(SEED_GUIDE, out / SEED_GUIDE.name)
    manifest = {"seed": seed, "chunks": total, "roles": [asdict(r) for r in roles]}
    (out / ".manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    size = sum(p.stat().st_size for p in out.glob("*.md"))
    return {"guides": len(roles), "chunks": total, "bytes": size, "seconds": round(time.perf_counter() - started, 1)}


def load_roles(folder: Path) -> list[Role]:
    data = json.loads((folder / ".manifest.json").read_text(encoding="utf-8"))
    return [Role(**r) for r in data["roles"]]


def questions(roles: list[Role], n: int, seed: int = 11) -> list[dict[str, object]]:
    """Questions about generated roles, in the eval/FORMAT.md shape (numeric facts carry expect_context)."""
    rng = random.Random(seed)
    asks = [
        ("What does {a} {r} do?", None),
        ("How do I become {a} {r}?", None),
        ("How long does it take to become {a} {r}?", None),
        ("What is the average salary of {a} {r}?", "salary"),
        ("How much does {a} {lr} earn per hour?", "hourly"),
        ("How many {r} jobs open each year?", "openings"),
        ("How fast is the {lr} job market growing?", "growth"),
        ("What are the pros and cons of being {a} {r}?", None),
        ("What qualifications does {a} {r} need?", None),
        ("{lr} salary?", "salary"),
    ]
    out = []
    for i in range(n):
        role = rng.choice(roles)
        template, fact = asks[i % len(asks)]
        text = template.format(a=_a(role.name), r=role.name, lr=role.name.lower())
        out.append({"id": f"g{i:03d}", "question": text[0].upper() + text[1:],
                    "expect_context": [getattr(role, fact)] if fact else []})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-seed-guide", action="store_true", help="do not copy the seed guide in")
    args = parser.parse_args()
    emit(generate(args.out, args.chunks, args.seed, not args.no_seed_guide))


if __name__ == "__main__":
    main()
