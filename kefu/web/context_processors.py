"""What every page of the application shell needs to know."""

from kefu.demo import DEMO_BUILDING, demo_progress


def demo_loading(request) -> dict:
    """The background demo build's progress, for the strip at the top of every page while it runs
    (or when it stopped short). Nothing once it is done, or when no demo was ever built."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    progress = demo_progress()
    if not progress or progress.get("state") == "done":
        return {}
    return {
        "demo_loading": {**progress, "building": DEMO_BUILDING.get(progress.get("app", ""), "")}
    }
