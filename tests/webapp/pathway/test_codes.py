"""The pathway's codes as data: end codes by state, the ICD-10 short list, risk levels."""

from __future__ import annotations

import pytest

from questionnaires.measures import ANXIETY_MEASURE_FOR, ProblemDescriptor
from webapp.pathway.codes import (
    DESCRIPTOR_LABELS,
    END_CODES,
    ICD10,
    RiskLevel,
    check_diagnosis,
    check_end_code,
    end_codes_for,
)
from webapp.pathway.episode import EpisodeState

pytestmark = pytest.mark.pure

S = EpisodeState


def test_the_end_codes_are_the_national_ones():
    assert set(END_CODES) == {"46", "47", "48", "10", "11", "12", "13", "14", "16", "50"}


@pytest.mark.parametrize(
    ("state", "codes"),
    [
        (S.WAITING_FOR_ASSESSMENT, ["13", "14", "16", "50"]),
        (S.ASSESSED, ["10", "11", "12", "13", "14"]),
        (S.IN_TREATMENT, ["46", "47", "48"]),
        (S.DISCHARGED, []),
        (S.DISCHARGED_WITHOUT_TREATMENT, []),
    ],
)
def test_each_state_offers_only_the_end_codes_that_fit_it(state, codes):
    assert [end.code for end in end_codes_for(state)] == codes
    for code in codes:
        assert check_end_code(state, code).code == code


def test_every_end_code_can_end_some_open_state():
    for end in END_CODES.values():
        assert end.from_states and not any(state.is_ended for state in end.from_states)


def test_a_treated_code_cannot_end_an_episode_before_treatment():
    with pytest.raises(ValueError, match="cannot end an episode that is assessed"):
        check_end_code(S.ASSESSED, "46")


def test_an_unknown_end_code_is_refused():
    with pytest.raises(ValueError, match="not a referral end code"):
        check_end_code(S.IN_TREATMENT, "99")


def test_every_descriptor_has_a_label_and_a_measure():
    assert set(DESCRIPTOR_LABELS) == set(ProblemDescriptor) == set(ANXIETY_MEASURE_FOR)


@pytest.mark.parametrize("code", list(ICD10))
def test_each_icd10_code_fits_its_own_descriptor(code):
    assert check_diagnosis(ICD10[code].descriptor, code) is ICD10[code]
    assert ICD10[code].label.startswith(code + " ")


def test_an_icd10_code_for_another_problem_is_refused():
    with pytest.raises(ValueError, match="does not match"):
        check_diagnosis(ProblemDescriptor.PTSD, "F32")


def test_a_code_off_the_list_is_refused():
    with pytest.raises(ValueError, match="not on the ICD-10 list"):
        check_diagnosis("depression", "Z99")


def test_only_an_unknown_problem_may_have_no_code():
    assert check_diagnosis(ProblemDescriptor.NONE, None) is None
    with pytest.raises(ValueError, match="Choose the ICD-10 code"):
        check_diagnosis(ProblemDescriptor.DEPRESSION, "")


def test_risk_levels_have_labels():
    assert [level.label for level in RiskLevel] == ["Low", "Moderate", "High"]
