"""Codes the care pathway records, as data: the national referral end codes (DOMAIN.md section 5)
and which episode states each may end, the short ICD-10 list for the presenting problem with the
problem descriptor each suggests (DOMAIN.md section 4 groups descriptors for the measure pair),
and risk levels.

Pure: no Flask, no database.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from questionnaires.measures import ProblemDescriptor
from webapp.pathway.episode import EpisodeState

_W = EpisodeState.WAITING_FOR_ASSESSMENT
_A = EpisodeState.ASSESSED
_T = EpisodeState.IN_TREATMENT


@dataclass(frozen=True)
class EndCode:
    code: str
    label: str
    # The states an episode may be discharged from with this code: the "treated" codes (46-48)
    # only from treatment, the others only before it.
    from_states: frozenset[EpisodeState]


END_CODES: Mapping[str, EndCode] = MappingProxyType(
    {
        end.code: end
        for end in (
            EndCode("46", "Mutually agreed completion of treatment", frozenset({_T})),
            EndCode("47", "Ended earlier than the professional planned", frozenset({_T})),
            EndCode("48", "Ended earlier than the patient requested", frozenset({_T})),
            EndCode("10", "Not suitable for the service: no action taken", frozenset({_A})),
            EndCode("11", "Not suitable for the service: signposted elsewhere", frozenset({_A})),
            EndCode("12", "Discharged after advice at assessment", frozenset({_A})),
            EndCode("13", "Referred to another service", frozenset({_W, _A})),
            EndCode("14", "Declined the treatment offered", frozenset({_W, _A})),
            EndCode("16", "Incomplete assessment", frozenset({_W})),
            EndCode("50", "Not assessed", frozenset({_W})),
        )
    }
)


def end_codes_for(state: EpisodeState) -> list[EndCode]:
    """The end codes an episode in this state may be discharged with, in code order."""
    return sorted(
        (end for end in END_CODES.values() if state in end.from_states),
        key=lambda end: int(end.code),
    )


def check_end_code(state: EpisodeState, code: str) -> EndCode:
    """The end code, or ValueError in words for the therapist if it does not fit the state."""
    end = END_CODES.get(code)
    if end is None:
        raise ValueError(f"{code!r} is not a referral end code")
    if state not in end.from_states:
        raise ValueError(f"End code {code} cannot end an episode that is {state.label.lower()}")
    return end


DESCRIPTOR_LABELS: Mapping[ProblemDescriptor, str] = MappingProxyType(
    {
        ProblemDescriptor.DEPRESSION: "Depression",
        ProblemDescriptor.GAD: "Generalised anxiety disorder",
        ProblemDescriptor.MIXED: "Mixed anxiety and depressive disorder",
        ProblemDescriptor.CHRONIC_PAIN: "Chronic pain",
        ProblemDescriptor.SOCIAL_ANXIETY: "Social anxiety disorder",
        ProblemDescriptor.PTSD: "Post-traumatic stress disorder",
        ProblemDescriptor.AGORAPHOBIA: "Agoraphobia",
        ProblemDescriptor.OCD: "Obsessive-compulsive disorder",
        ProblemDescriptor.PANIC: "Panic disorder",
        ProblemDescriptor.HEALTH_ANXIETY: "Health anxiety",
        ProblemDescriptor.NONE: "Other or not yet known",
    }
)


@dataclass(frozen=True)
class Diagnosis:
    code: str  # ICD-10
    label: str
    descriptor: ProblemDescriptor


# The short list the assessment offers (ICD-10, WHO 2019); each picks the problem descriptor
# that decides the measure pair.
ICD10: Mapping[str, Diagnosis] = MappingProxyType(
    {
        d.code: d
        for d in (
            Diagnosis("F32", "F32 Depressive episode", ProblemDescriptor.DEPRESSION),
            Diagnosis("F33", "F33 Recurrent depressive disorder", ProblemDescriptor.DEPRESSION),
            Diagnosis("F41.1", "F41.1 Generalised anxiety disorder", ProblemDescriptor.GAD),
            Diagnosis(
                "F41.2", "F41.2 Mixed anxiety and depressive disorder", ProblemDescriptor.MIXED
            ),
            Diagnosis("F41.0", "F41.0 Panic disorder", ProblemDescriptor.PANIC),
            Diagnosis("F40.0", "F40.0 Agoraphobia", ProblemDescriptor.AGORAPHOBIA),
            Diagnosis("F40.1", "F40.1 Social phobias", ProblemDescriptor.SOCIAL_ANXIETY),
            Diagnosis("F42", "F42 Obsessive-compulsive disorder", ProblemDescriptor.OCD),
            Diagnosis("F43.1", "F43.1 Post-traumatic stress disorder", ProblemDescriptor.PTSD),
            Diagnosis("F45.2", "F45.2 Hypochondriacal disorder", ProblemDescriptor.HEALTH_ANXIETY),
            Diagnosis(
                "F45.4", "F45.4 Persistent somatoform pain disorder", ProblemDescriptor.CHRONIC_PAIN
            ),
        )
    }
)


def check_diagnosis(descriptor: ProblemDescriptor | str, icd10: str | None) -> Diagnosis | None:
    """The ICD-10 entry, or ValueError if it is not on the list or names another problem.

    Only "other or not yet known" may have no code (None)."""
    if not icd10:
        if ProblemDescriptor(descriptor) is ProblemDescriptor.NONE:
            return None
        raise ValueError("Choose the ICD-10 code for the presenting problem")
    diagnosis = ICD10.get(icd10)
    if diagnosis is None:
        raise ValueError(f"{icd10!r} is not on the ICD-10 list")
    if diagnosis.descriptor != ProblemDescriptor(descriptor):
        raise ValueError(
            f"{diagnosis.label} does not match the problem descriptor "
            f"{DESCRIPTOR_LABELS[ProblemDescriptor(descriptor)].lower()}"
        )
    return diagnosis


class RiskLevel(enum.StrEnum):
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"

    @property
    def label(self) -> str:
        return self.value.capitalize()
