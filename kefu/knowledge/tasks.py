"""Background work of the knowledge base: the nightly retraining of the category model, and
indexing the articles again after the domain dictionary changed."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kefu.core import search
from kefu.knowledge import selectors, services
from kefu.knowledge.documents import ARTICLES
from kefu.knowledge.ranking import load_dictionary

logger = logging.getLogger(__name__)


# 19:30 UTC is 03:30 in Asia/Shanghai: the day's closed tickets are in.
@db_periodic_task(crontab(hour="19", minute="30"))
def retrain_category_model() -> None:
    model = services.train_category_model(samples=selectors.training_samples())
    logger.info("category model trained on %s tickets", model.samples)


@db_task()
def reindex_articles() -> None:
    load_dictionary(force=True)
    search.rebuild(ARTICLES)
