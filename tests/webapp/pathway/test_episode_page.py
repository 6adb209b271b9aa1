"""The episode page names the outcome measures as the national dataset does (PHQ-9, GAD-7, and
each anxiety measure by its own name), never by the codes the database stores."""

from __future__ import annotations

import pytest

from tests.factories import make_episode
from webapp.models import Role


@pytest.fixture
def mine(client, login_as):
    return make_episode(therapist=login_as(Role.THERAPIST))


def test_the_episode_page_names_the_measures_as_the_national_dataset_does(client, mine):
    page = client.get(f"/care-pathway/episodes/{mine.id}").get_data(as_text=True)
    assert "The measure pair is PHQ-9 and GAD-7." in page
    assert "PHQ-9: first" in page and "GAD-7: first" in page
    assert "PHQ9" not in page and "GAD7" not in page
