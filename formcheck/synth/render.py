"""Offscreen rendering of a posed body with moderngl (headless EGL, Mesa llvmpipe on the CPU).

Nothing here is imported by ``import formcheck.synth``: ``moderngl`` is imported lazily when a
:class:`Renderer` is created (``pip install formcheck[synth]``; Debian ``libegl1
libegl-mesa0 libgl1-mesa-dri``).

The body is drawn with per-vertex colours (skin, shirt, trousers, shoes, hair) chosen by
skinning bone, lit by one directional light plus ambient; a floor (plain or with boards) and a
back wall complete the scene.  One renderer (one GL context) per process.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .body import Body

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Look:
    """Colours of one "look" (RGB in 0..1)."""

    name: str
    skin: tuple
    hair: tuple
    shirt: tuple
    trousers: tuple
    shoes: tuple
    floor: tuple
    floor2: tuple  # second floor colour (boards / tiles); = floor for plain
    wall: tuple
    long_sleeves: bool = False
    barefoot: bool = False


def _c(h: str) -> tuple:
    h = h.lstrip("#")
    return tuple(int(h[i : i + 2], 16) / 255 for i in (0, 2, 4))


LOOKS = {
    "A": Look(
        "A",
        skin=_c("e0ac8a"),
        hair=_c("3b2a1e"),
        shirt=_c("2f6db5"),
        trousers=_c("2b2b33"),
        shoes=_c("e8e8e8"),
        floor=_c("a47b52"),
        floor2=_c("8e6842"),
        wall=_c("d9d4c7"),
    ),
    "B": Look(
        "B",
        skin=_c("8d5a3b"),
        hair=_c("151010"),
        shirt=_c("c0392b"),
        trousers=_c("4a5a7a"),
        shoes=_c("303030"),
        floor=_c("6b8f8a"),
        floor2=_c("6b8f8a"),
        wall=_c("eeeeea"),
        long_sleeves=True,
    ),
    "C": Look(
        "C",
        skin=_c("f1c9a9"),
        hair=_c("a0702f"),
        shirt=_c("2e8b57"),
        trousers=_c("1f1f1f"),
        shoes=_c("d04a2a"),
        floor=_c("9c9c9c"),
        floor2=_c("878787"),
        wall=_c("b9c8d8"),
    ),
    "D": Look(
        "D",
        skin=_c("5e3a26"),
        hair=_c("0d0a0a"),
        shirt=_c("e0b030"),
        trousers=_c("33415c"),
        shoes=_c("f0f0f0"),
        floor=_c("4a5d7a"),
        floor2=_c("4a5d7a"),
        wall=_c("e4dccb"),
        barefoot=True,
    ),
}


@dataclass(frozen=True)
class Lighting:
    """One directional light plus ambient and a camera-side fill (shading factors, unitless).

    The light direction is ``light_dir`` plus ``eye_mix`` times the unit vector to the camera
    (world frame, z up).  The defaults are the lighting of the sample clips.
    """

    ambient: float = 0.30
    diffuse: float = 0.55
    fill: float = 0.25
    light_dir: tuple = (0.3, -0.4, 1.0)
    eye_mix: float = 0.5


def vertex_colours(body: Body, look: Look) -> np.ndarray:
    """Per-vertex RGB (V, 3) float32: clothes by skinning bone, skin on head/neck/hands."""
    labels = body.bone_labels
    B = len(labels)
    col = np.zeros((B, 3), np.float32)
    for i, l in enumerate(labels):
        if l.startswith(("spine0", "clavicle", "shoulder01", "upperarm")) and l != "spine05":
            c = look.shirt
        elif l.startswith("lowerarm"):
            c = look.shirt if look.long_sleeves else look.skin
        elif l.startswith(("root", "pelvis", "spine05", "upperleg", "lowerleg")):
            c = look.trousers
        elif l.startswith(("foot", "toe")):
            c = look.skin if look.barefoot else look.shoes
        elif l.startswith(("eye",)):
            c = (0.12, 0.1, 0.1)
        else:  # neck, head, wrist, fingers
            c = look.skin
        col[i] = c
    w = body.weights
    out = np.einsum("vk,vkc->vc", w, col[body.bone_idx])
    # hair: head-dominated vertices on the top / back of the skull
    H = body.rest_heads
    head = body.bone("head")
    eye_z = H[body.bone("eye.L"), 2]
    head_w = (w * (body.bone_idx == head)).sum(1)
    v = body.rest_verts
    hair = (head_w > 0.5) & ((v[:, 2] > eye_z + 0.045) | ((v[:, 1] > H[head, 1] + 0.02) & (v[:, 2] > eye_z - 0.06)))
    out[hair] = look.hair
    # the lower legs of shorts? keep trousers full length.  Eyes darker already.
    return out.astype(np.float32)


_VS = """
#version 330
uniform mat4 mvp;
in vec3 in_pos; in vec3 in_norm; in vec3 in_col;
out vec3 v_norm; out vec3 v_col; out vec3 v_pos;
void main() { gl_Position = mvp * vec4(in_pos, 1.0); v_norm = in_norm; v_col = in_col; v_pos = in_pos; }
"""
_FS = """
#version 330
uniform vec3 light_dir; uniform vec3 cam_pos; uniform int boards; uniform vec3 col2;
uniform float k_amb; uniform float k_dif; uniform float k_fill;
in vec3 v_norm; in vec3 v_col; in vec3 v_pos;
out vec4 f_color;
void main() {
  vec3 n = normalize(v_norm);
  if (!gl_FrontFacing) n = -n;
  vec3 c = v_col;
  if (boards == 1) { float b = floor(v_pos.y / 0.18); if (mod(b, 2.0) > 0.5) c = col2; }
  float d = max(dot(n, normalize(light_dir)), 0.0);
  vec3 vdir = normalize(cam_pos - v_pos);
  float fill = max(dot(n, vdir), 0.0);
  vec3 rgb = c * (k_amb + k_dif * d + k_fill * fill);
  f_color = vec4(pow(clamp(rgb, 0.0, 1.0), vec3(1.0/1.1)), 1.0);
}
"""


def look_at(eye, target, up=(0, 0, 1)):
    """OpenGL view matrix (4x4) looking from ``eye`` to ``target`` (metres)."""
    eye, target, up = (np.asarray(a, np.float64) for a in (eye, target, up))
    f = target - eye
    f /= np.linalg.norm(f)
    s = np.cross(f, up)
    s /= np.linalg.norm(s)
    u = np.cross(s, f)
    M = np.eye(4)
    M[0, :3], M[1, :3], M[2, :3] = s, u, -f
    M[:3, 3] = -M[:3, :3] @ eye
    return M


def perspective(fovy_deg, aspect, near=0.05, far=50.0):
    """OpenGL projection matrix for a vertical field of view in degrees."""
    f = 1.0 / math.tan(math.radians(fovy_deg) / 2)
    M = np.zeros((4, 4))
    M[0, 0], M[1, 1] = f / aspect, f
    M[2, 2] = (far + near) / (near - far)
    M[2, 3] = 2 * far * near / (near - far)
    M[3, 2] = -1
    return M


def vertex_normals(verts: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Area-weighted vertex normals (V, 3) float32."""
    v = verts.astype(np.float32)
    fn = np.cross(v[faces[:, 1]] - v[faces[:, 0]], v[faces[:, 2]] - v[faces[:, 0]])
    n = np.zeros_like(v)
    for k in range(3):
        for c in range(3):
            n[:, c] += np.bincount(faces[:, k], fn[:, c], minlength=len(v))
    n /= np.linalg.norm(n, axis=1, keepdims=True) + 1e-12
    return n


@dataclass
class Camera:
    """Pinhole camera: position and target in metres, vertical field of view in degrees."""

    eye: tuple
    target: tuple
    fovy: float = 50.0

    def matrix(self, width, height):
        return perspective(self.fovy, width / height) @ look_at(self.eye, self.target)

    def project(self, pts: np.ndarray, width: int, height: int) -> np.ndarray:
        """Pixel coordinates (N, 2) of world points (N, 3) (x right, y down)."""
        P = self.matrix(width, height)
        h = np.c_[pts, np.ones(len(pts))] @ P.T
        ndc = h[:, :2] / h[:, 3:4]
        return np.c_[(ndc[:, 0] + 1) * 0.5 * width, (1 - ndc[:, 1]) * 0.5 * height]


class Renderer:
    """Renders ``body`` meshes (same topology every frame) to RGB uint8 arrays (H, W, 3)."""

    def __init__(
        self,
        body: Body,
        look: Look,
        width: int = 640,
        height: int = 480,
        samples: int = 4,
        lighting: Lighting | None = None,
    ):
        import moderngl  # lazy: optional dependency

        self.width, self.height, self.look = width, height, look
        self.lighting = lighting or Lighting()
        # the GL objects are used untyped: moderngl's stubs type every shader member (uniform,
        # attribute, varying...) as one union, and its context options loosely
        self.ctx: Any
        self.prog: Any
        try:
            self.ctx = moderngl.create_context(standalone=True, backend="egl")  # type: ignore[arg-type]
        except Exception:  # pragma: no cover - fall back to whatever glcontext finds
            self.ctx = moderngl.create_context(standalone=True)
        ctx = self.ctx
        self.prog = ctx.program(vertex_shader=_VS, fragment_shader=_FS)
        self.faces = body.faces.astype(np.int32)
        self.cols = vertex_colours(body, look)
        V = len(body.rest_verts)
        self.vbo_pos = ctx.buffer(reserve=V * 12)
        self.vbo_norm = ctx.buffer(reserve=V * 12)
        self.vbo_col = ctx.buffer(self.cols.tobytes())
        ibo = ctx.buffer(self.faces.tobytes())
        self.vao = ctx.vertex_array(
            self.prog,
            [(self.vbo_pos, "3f", "in_pos"), (self.vbo_norm, "3f", "in_norm"), (self.vbo_col, "3f", "in_col")],
            ibo,
        )
        # floor and wall: big quads
        fl = np.array([[-6, -6, 0], [6, -6, 0], [6, 6, 0], [-6, 6, 0]], np.float32)
        self._floor = self._quad(fl, (0, 0, 1), look.floor)
        self._wall_args = None
        self.fbo = ctx.framebuffer(
            color_attachments=[ctx.renderbuffer((width, height), samples=samples)],
            depth_attachment=ctx.depth_renderbuffer((width, height), samples=samples),
        )
        self.out = ctx.simple_framebuffer((width, height))
        log.info("renderer: %s", ctx.info.get("GL_RENDERER"))

    def _quad(self, corners, normal, colour):
        ctx = self.ctx
        pos = np.asarray(corners, np.float32)
        nrm = np.tile(np.asarray(normal, np.float32), (4, 1))
        col = np.tile(np.asarray(colour, np.float32), (4, 1))
        idx = np.array([0, 1, 2, 0, 2, 3], np.int32)
        return ctx.vertex_array(
            self.prog,
            [
                (ctx.buffer(pos.tobytes()), "3f", "in_pos"),
                (ctx.buffer(nrm.tobytes()), "3f", "in_norm"),
                (ctx.buffer(col.tobytes()), "3f", "in_col"),
            ],
            ctx.buffer(idx.tobytes()),
        )

    def set_wall(self, camera: Camera, distance_behind: float = 1.2):
        """Put a back wall behind the body, facing the camera (``distance_behind`` metres
        beyond the target)."""
        eye = np.asarray(camera.eye, float)
        tgt = np.asarray(camera.target, float)
        d = tgt - eye
        d[2] = 0
        d /= np.linalg.norm(d)
        c = tgt + d * distance_behind
        side = np.cross(d, [0, 0, 1])
        w = 8.0
        corners = [
            c - side * w + [0, 0, -0.1],
            c + side * w + [0, 0, -0.1],
            c + side * w + [0, 0, 4.0],
            c - side * w + [0, 0, 4.0],
        ]
        corners = [np.array([p[0], p[1], max(p[2], -0.1)]) for p in corners]
        self._wall = self._quad(corners, -d, self.look.wall)

    def render(self, verts: np.ndarray, camera: Camera) -> np.ndarray:
        """Draw one frame; returns an (H, W, 3) uint8 RGB image."""
        ctx = self.ctx
        self.vbo_pos.write(np.ascontiguousarray(verts, np.float32).tobytes())
        self.vbo_norm.write(vertex_normals(verts, self.faces).tobytes())
        self.fbo.use()
        ctx.enable(ctx.DEPTH_TEST)
        ctx.clear(*self.look.wall, 1.0)
        mvp = camera.matrix(self.width, self.height).astype(np.float32)
        self.prog["mvp"].write(mvp.T.tobytes())
        eye = np.asarray(camera.eye, np.float32)
        self.prog["cam_pos"].value = tuple(eye)
        li = self.lighting
        light = np.array(li.light_dir, dtype=np.float64) + li.eye_mix * (eye / (np.linalg.norm(eye) + 1e-9))
        self.prog["light_dir"].value = tuple(light.astype(np.float32))
        self.prog["k_amb"].value = li.ambient
        self.prog["k_dif"].value = li.diffuse
        self.prog["k_fill"].value = li.fill
        self.prog["col2"].value = tuple(self.look.floor2)
        self.prog["boards"].value = 0
        self.vao.render()
        if getattr(self, "_wall", None) is not None:
            self._wall.render()
        self.prog["boards"].value = 1 if self.look.floor2 != self.look.floor else 0
        self._floor.render()
        ctx.copy_framebuffer(self.out, self.fbo)
        data = self.out.read(components=3)
        img = np.frombuffer(data, np.uint8).reshape(self.height, self.width, 3)
        return img[::-1].copy()

    def close(self):
        self.ctx.release()
