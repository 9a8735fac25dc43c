"""The Solara dashboard of gridgov: explore a town's institutions, compare reforms, train with
scenarios, and read sweep results (``gridgov dashboard``; pages in :mod:`dashboards.pages`).

The modules below the pages do one job each and import no Solara: :mod:`dashboards.state`
(a run of the model and its daily history), :mod:`dashboards.town_map`,
:mod:`dashboards.charts`, :mod:`dashboards.referral_network` (matplotlib figures) and
:mod:`coordination.words`, the one catalogue of words in English and Chinese.

Example:
    >>> from dashboards.state import ExploreRun, ExploreSettings
    >>> run = ExploreRun(ExploreSettings(scale=0.02))
    >>> run.step(days=2)
    >>> run.day
    2
"""
