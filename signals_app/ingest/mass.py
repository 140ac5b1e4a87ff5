"""Mass incidents: clusters of similar recent signals proposed to an analyst, who decides.

Similarity is the cosine of TF-IDF vectors of character 3–5-grams (word boundaries kept), fit on
the window's own texts: forms of a Russian word share most of their n-grams, and words common to
every complaint weigh little. Two signals are linked when their similarity reaches the threshold
and they are in the same municipality (or one has none); a proposal is a connected group of at
least MIN_SIZE signals (a citizen subscribed to one of them counts as one more). An open mass incident in the window attracts its new look-alikes: the
proposal then adds them to it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Region, User
from signals_app.access import region_analyst_required
from signals_app.choices import OPEN_STATUSES
from signals_app.errors import InvalidInput
from signals_app.models import MassIncidentProposal, Signal, Subscription
from signals_app.workflow.services import signal_merge

logger = logging.getLogger(__name__)

WINDOW = timedelta(hours=12)
MIN_SIZE = 5
THRESHOLD = 0.4
MAX_WINDOW_SIGNALS = 5000


@dataclass(frozen=True)
class Cluster:
    signal_ids: list[int]
    parent_id: int | None
    similarity: float
    title: str


def find_clusters(
    rows: Sequence[tuple[int, str, int | None, bool]],
    *,
    threshold: float | None = None,
    min_size: int | None = None,
    joined: dict[int, int] | None = None,
) -> list[Cluster]:
    """Group (id, text, municipality id, is an open mass incident) rows. Pure: no database.

    `joined`: per signal id, the citizens subscribed to it (each counts towards MIN_SIZE as a
    signal of its own would: they reported the same problem)."""
    threshold = THRESHOLD if threshold is None else threshold
    min_size = MIN_SIZE if min_size is None else min_size
    if len(rows) < 2:
        return []
    import numpy as np
    from scipy.sparse.csgraph import connected_components
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [text for _, text, _, _ in rows]
    try:
        vectors = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, dtype=np.float32
        ).fit_transform(texts)
    except ValueError:  # no n-grams at all (texts of one or two letters)
        return []
    similarity = (vectors @ vectors.T).tocoo()
    municipalities = np.array([m if m is not None else -1 for _, _, m, _ in rows])
    keep = (similarity.data >= threshold) & (similarity.row != similarity.col)
    first, second = similarity.row[keep], similarity.col[keep]
    same_place = (
        (municipalities[first] == municipalities[second])
        | (municipalities[first] == -1)
        | (municipalities[second] == -1)
    )
    first, second = first[same_place], second[same_place]
    weights = similarity.data[keep][same_place]
    from scipy.sparse import coo_matrix

    graph = coo_matrix((weights, (first, second)), shape=(len(rows), len(rows))).tocsr()
    _count, labels = connected_components(graph, directed=False)
    clusters = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        indexes = [int(index) for index in members]
        parents = [index for index in indexes if rows[index][3]]
        newcomers = [index for index in indexes if not rows[index][3]]
        if len(parents) > 1:
            continue  # two open mass incidents look alike: leave it to the analysts
        needed = 1 if parents else min_size
        citizens = sum(1 + (joined or {}).get(int(rows[index][0]), 0) for index in newcomers)
        if len(newcomers) < 1 or citizens < needed:
            continue
        block = graph[members][:, members]
        mean = float(block.sum() / block.nnz) if block.nnz else 0.0
        # The title: the member most similar to the others.
        centre = indexes[int(np.asarray(block.sum(axis=1)).ravel().argmax())]
        clusters.append(
            Cluster(
                signal_ids=sorted(int(rows[index][0]) for index in newcomers),
                parent_id=int(rows[parents[0]][0]) if parents else None,
                similarity=round(mean, 3),
                title=rows[centre][1][:300],
            )
        )
    return clusters


def mass_incident_propose(
    *, region: Region, now: datetime | None = None, window: timedelta = WINDOW
) -> list[MassIncidentProposal]:
    """Propose the window's clusters that are not proposed or dismissed already."""
    now = now or timezone.now()
    taken = MassIncidentProposal.signals.through.objects.filter(
        massincidentproposal__state__in=[
            MassIncidentProposal.State.PROPOSED,
            MassIncidentProposal.State.DISMISSED,
        ],
        massincidentproposal__region=region,
    ).values("signal_id")
    rows = list(
        Signal.objects.filter(
            region=region,
            received_at__gte=now - window,
            received_at__lte=now,
            status__in=OPEN_STATUSES,
            parent__isnull=True,
            duplicate_of__isnull=True,
        )
        .exclude(pk__in=taken)
        .order_by("-received_at")
        .values_list("pk", "text", "municipality_id", "is_mass_incident")[:MAX_WINDOW_SIGNALS]
    )
    joined = dict(
        Subscription.objects.filter(
            signal_id__in=[row[0] for row in rows], scope=Subscription.Scope.JOINED
        )
        .values_list("signal_id")
        .annotate(count=Count("id"))
    )
    created = []
    with transaction.atomic():
        for cluster in find_clusters(rows, joined=joined):
            proposal = MassIncidentProposal.objects.create(
                region=region,
                title=cluster.title,
                parent_id=cluster.parent_id,
                similarity=cluster.similarity,
            )
            proposal.signals.set(cluster.signal_ids)
            created.append(proposal)
    if created:
        logger.info("mass_incidents_proposed region=%s count=%s", region.code, len(created))
    return created


def mass_incident_confirm(
    *,
    proposal: MassIncidentProposal,
    actor: User,
    parent_id: int | None = None,
    exclude: list[int] | None = None,
) -> Signal:
    """Merge the proposal's signals (less the excluded ones) under a parent; return it.

    Without a parent chosen, the proposal's mass incident, or else its earliest signal, leads.
    """
    region_analyst_required(
        actor, proposal.region_id, _("Only the region's analysts decide on mass incidents.")
    )
    with transaction.atomic():
        locked = MassIncidentProposal.objects.select_for_update().get(pk=proposal.pk)
        if locked.state != MassIncidentProposal.State.PROPOSED:
            raise InvalidInput(_("The proposal has been decided already."))
        members = set(locked.signals.values_list("pk", flat=True)) - set(exclude or [])
        if parent_id is None:
            parent_id = locked.parent_id or (
                Signal.objects.filter(pk__in=members).order_by("received_at", "pk")
                .values_list("pk", flat=True).first()
            )  # fmt: skip
        elif parent_id not in members and parent_id != locked.parent_id:
            raise InvalidInput(_("The chosen signal is not in this proposal."))
        if parent_id is None or len(members - {parent_id}) < 1:
            raise InvalidInput(_("A mass incident needs at least two signals."))
        parent, _merged = signal_merge(
            parent=parent_id, children=sorted(members - {parent_id}), actor=actor
        )
        locked.state = MassIncidentProposal.State.CONFIRMED
        locked.parent = parent
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["state", "parent", "decided_by", "decided_at"])
    return parent


def mass_incident_dismiss(*, proposal: MassIncidentProposal, actor: User) -> None:
    """Not one event: the signals stay apart and are not proposed together again."""
    region_analyst_required(
        actor, proposal.region_id, _("Only the region's analysts decide on mass incidents.")
    )
    updated = MassIncidentProposal.objects.filter(
        pk=proposal.pk, state=MassIncidentProposal.State.PROPOSED
    ).update(
        state=MassIncidentProposal.State.DISMISSED, decided_by=actor, decided_at=timezone.now()
    )
    if not updated:
        raise InvalidInput(_("The proposal has been decided already."))
