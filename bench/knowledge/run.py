"""Knowledge benchmark (issue 17): article search p95 and agent-assist suggestions p95 over 10,000
articles and many past answers, retrieval quality (recall@5) on the labelled questions, and the
category suggestion's top-3 accuracy on held-out history.

    .venv/bin/python bench/knowledge/run.py                         # 10,000 articles, 100,000 answers
    .venv/bin/python bench/knowledge/run.py --articles 2000 --answers 10000   # a quick run
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/knowledge/run.py

(a) The lamp shop's catalogue (kefu/knowledge/catalogue.py, ~500 articles) is written, reviewed and
    published through the services, with its synonyms and dictionary; then plain INSERTs add
    articles made of shuffled catalogue sentences up to `--articles`, and past answers (a chat's
    question and the agent's answer, as kept when a chat closes) up to `--answers`; the search index
    is rebuilt (kefu search_rebuild's function).
(b) recall@5: for each of the 200 labelled questions, is the article that answers it among the
    first five suggestions (selectors.suggestions, what the assist panel shows)?
(c) Search p95: selectors.articles (the list page's search: ranked, access-checked) for the labelled
    questions; suggestions p95: selectors.suggestions (articles and past answers) for them.
    In-process selector calls (no HTTP): the query work of the page and the panel.
(d) Category top-3: the naive-Bayes model trained on 80% of synthetic ticket texts (the labelled
    questions with the category of their answer, and sentences of their article), tested on 20%.

Embedded mode by default (SQLite in a temporary KEFU_DATA_DIR); with DATABASE_URL, a scratch
PostgreSQL database. Removed at the end (--keep keeps them).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench.common import clean_up, row, scratch_postgres  # noqa: E402


def setup_django(data_dir: Path) -> None:
    os.environ["KEFU_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "kefu.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill(articles: int, answers: int, rng: random.Random) -> None:
    from kefu.core import search
    from kefu.knowledge import catalogue
    from kefu.knowledge.documents import ARTICLES, PAST_ANSWERS
    from kefu.knowledge.models import Article, ArticleState, Category, PastAnswer, Visibility

    category = Category.objects.get_or_create(name="批量资料")[0]
    sentences = [s for e in catalogue.entries() for s in e.body.split("，") if len(s) > 4]
    words = ["款式", "颜色", "包装", "配件", "遥控器", "说明书", "赠品", "库存", "批发", "工程"]
    missing = max(0, articles - Article.objects.count())
    batch = []
    for i in range(missing):
        batch.append(
            Article(
                title=f"{rng.choice(words)}说明 {i:05d} {rng.choice(words)}",
                body="，".join(rng.sample(sentences, 4)),
                category=category,
                state=ArticleState.PUBLISHED,
                visibility=Visibility.PUBLIC if i % 2 else Visibility.INTERNAL,
                price=Decimal("99.00"),
            )
        )
    Article.objects.bulk_create(batch, batch_size=2000)
    questions = [q for q, _k in catalogue.questions(limit=10_000)]
    PastAnswer.objects.bulk_create(
        (
            PastAnswer(
                conversation_id=i // 10,
                question=rng.choice(questions),
                answer=rng.choice(sentences),
            )
            for i in range(answers)
        ),
        batch_size=5000,
    )
    t0 = time.perf_counter()
    search.rebuild(ARTICLES)
    search.rebuild(PAST_ANSWERS)
    print(f"index rebuilt in {time.perf_counter() - t0:.1f} s")


def recall(agent, keys: dict[str, str]) -> float:
    from kefu.knowledge import catalogue, selectors

    labelled = catalogue.questions(limit=200)
    hits = 0
    for question, key in labelled:
        found = selectors.suggestions(agent, question).articles
        hits += key in [keys.get(a.title) for a in found[:5]]
    return hits / len(labelled)


def timed(fn, inputs: list[str]) -> list[float]:
    samples = []
    for text in inputs:
        t0 = time.perf_counter()
        fn(text)
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def category_accuracy(rng: random.Random) -> tuple[float, int]:
    from kefu.knowledge import catalogue, classify

    entries = {e.key: e for e in catalogue.entries()}
    names = {name: n for n, name in enumerate(catalogue.CATEGORIES)}
    samples = []
    for question, key in catalogue.questions(limit=10_000):
        # a policy's category; for a product's FAQ its topic (不亮 → repair, 安装 → installation…)
        label = names[entries[key].category] if key.startswith("policy") else 100 + int(key[3])
        samples.append((question, label))
    rng.shuffle(samples)
    cut = len(samples) * 4 // 5
    model = classify.train(samples[:cut])
    test = samples[cut:]
    right = sum(label in [c for c, _p in classify.predict(model, text)] for text, label in test)
    return right / len(test), len(test)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--answers", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="kefu-bench-knowledge-"))
    drop = None
    if os.environ.get("DATABASE_URL"):
        url, drop = scratch_postgres(os.environ["DATABASE_URL"], "knowledge")
        os.environ["DATABASE_URL"] = url
    mode = "PostgreSQL" if drop else "SQLite"
    try:
        setup_django(data_dir)
        from kefu.accounts.models import User
        from kefu.accounts.roles import Role
        from kefu.core.events import muted
        from kefu.knowledge import catalogue, selectors
        from kefu.knowledge.demo import build_catalogue

        writer = User.objects.create(username="bench-writer", role=Role.SUPERVISOR)
        reviewer = User.objects.create(username="bench-reviewer", role=Role.MANAGER)
        agent = User.objects.create(username="bench-agent", role=Role.AGENT)
        rng = random.Random(17)
        t0 = time.perf_counter()
        with muted():
            written = build_catalogue(writer=writer, reviewer=reviewer)
        print(
            f"catalogue: {written} articles through the services in {time.perf_counter() - t0:.1f} s"
        )
        keys = {e.title: e.key for e in catalogue.entries()}
        small = recall(agent, keys)
        fill(args.articles, args.answers, rng)
        large = recall(agent, keys)
        questions = [q for q, _k in catalogue.questions(limit=200)]
        selectors.articles(agent, q="预热")
        search_ms = timed(lambda q: list(selectors.articles(agent, q=q)[0]), questions * 2)
        assist_ms = timed(lambda q: selectors.suggestions(agent, q), questions * 2)
        accuracy, tested = category_accuracy(rng)
        print(f"\nmode: {mode}; {args.articles:,} articles, {args.answers:,} past answers\n")
        print("| measure | n | p50 ms | p95 ms | p99 ms | max ms |")
        print("|---|---|---|---|---|---|")
        print(row("article search (selectors.articles)", search_ms))
        print(row("suggestions (articles + past answers)", assist_ms))
        print(
            f"\nrecall@5 on 200 labelled questions: {small:.3f} (catalogue only), {large:.3f} "
            f"(with {args.articles:,} articles)"
        )
        print(f"category suggestion top-3 accuracy: {accuracy:.3f} on {tested} held-out texts")
    finally:
        clean_up(data_dir=data_dir, keep=args.keep, drop_database=drop)


if __name__ == "__main__":
    main()
