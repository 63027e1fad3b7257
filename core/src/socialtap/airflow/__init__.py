"""Apache Airflow provider for socialtap (install ``socialtap[airflow]``).

This package itself never imports Airflow, so ``import socialtap`` and the provider
discovery below stay cheap; :mod:`socialtap.airflow.hooks` and
:mod:`socialtap.airflow.operators` import it. Use::

    from socialtap.airflow import param_sets
    from socialtap.airflow.operators import SocialtapOperator
"""

from __future__ import annotations

from socialtap.airflow.mapping import param_sets
from socialtap.airflow.provider import CONN_TYPE, get_provider_info

__all__ = ["CONN_TYPE", "get_provider_info", "param_sets"]
