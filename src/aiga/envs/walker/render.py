"""Headless pictures of walker courses and episodes: PNG of a whole course, GIF/MP4 of a policy's run.

The look follows the reference renderer (gym's ``BipedalWalker.render`` as used by uber-research/poet,
``poet_distributed/niches/box2d/bipedal_walker_custom.py``): pale sky, olive ground filled below the
surface, alternating light-green grass edges, white obstacles with grey outlines, the red-and-white flag
at the start, the walker's purple hull and legs, red lidar rays; 600 x 400 pixels at 30 pixels per
world unit, with the camera following the walker (``scroll = x - W / 5``). It needs no display: frames
are drawn with Pillow into memory, so it runs on servers, in CI and in worker processes.

Efficiency: the static course is drawn once into one wide strip image; a frame is a crop of that strip
plus a few polygons (the walker, the lidar rays, a caption), so a frame costs well under a millisecond
and an episode's picture costs about what its simulation costs. MP4 frames stream to imageio's bundled
ffmpeg; GIF frames are kept (palette images, one byte per pixel) until Pillow writes the file.

Two differences from the reference's picture, both for readability: the camera also follows the walker
vertically when the ground leaves the reference's fixed 13.3-unit-high window (CPPN courses climb far
higher), and all ten lidar rays are drawn every frame (the reference draws one ray per frame in turn).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from aiga.core.config import AigaError
from aiga.envs.walker.constants import (
    MAX_EPISODE_STEPS,
    SCALE,
    TERRAIN_GRASS,
    TERRAIN_HEIGHT,
    TERRAIN_LENGTH,
    TERRAIN_STEP,
    VIEWPORT_H,
    VIEWPORT_W,
)
from aiga.envs.walker.terrain import Course, CourseParams, generate_course

SKY = (0.9, 0.9, 1.0)
GROUND = (0.4, 0.6, 0.3)
GRASS = ((0.3, 1.0, 0.3), (0.3, 0.8, 0.3))
OBSTACLE = (1.0, 1.0, 1.0)
OBSTACLE_OUTLINE = (0.6, 0.6, 0.6)
FLAG = (0.9, 0.2, 0.0)
FLAG_POLE = (0.0, 0.0, 0.0)
FINISH = (0.2, 0.2, 0.2)
LIDAR = (1.0, 0.0, 0.0)
TEXT = (0.1, 0.1, 0.15)

VIEW_W = VIEWPORT_W / SCALE  # 20 world units across
VIEW_H = VIEWPORT_H / SCALE  # 13.3 world units high
COURSE_END = (TERRAIN_LENGTH - TERRAIN_GRASS) * TERRAIN_STEP  # passing it ends the episode

VIDEO_SUFFIXES = (".gif", ".mp4")


def _rgb(c: tuple[float, float, float]) -> tuple[int, int, int]:
    return (int(round(c[0] * 255)), int(round(c[1] * 255)), int(round(c[2] * 255)))


def _darker(c: tuple[float, float, float], f: float = 0.6) -> tuple[float, float, float]:
    return (c[0] * f, c[1] * f, c[2] * f)


class _Palette:
    """The fixed colour table of episode frames: frames are drawn straight into palette ("P") images,
    so GIF frames need no quantising and every frame shares one colour table."""

    def __init__(self, colours) -> None:
        self.colours: list[tuple[int, int, int]] = []
        self.index: dict[tuple[int, int, int], int] = {}
        for c in colours:
            rgb = _rgb(c)
            if rgb not in self.index:
                self.index[rgb] = len(self.colours)
                self.colours.append(rgb)

    def __call__(self, c: tuple[float, float, float]) -> int:
        rgb = _rgb(c)
        i = self.index.get(rgb)
        if i is None:  # a colour nobody registered: the nearest one (never happens with our colours)
            d = [sum((a - b) ** 2 for a, b in zip(rgb, q, strict=True)) for q in self.colours]
            i = self.index[rgb] = int(np.argmin(d))
        return i

    def flat(self) -> list[int]:
        out = [v for c in self.colours for v in c]
        return out + [0] * (768 - len(out))


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 without FreeType sizes
        return ImageFont.load_default()


class _Canvas:
    """Maps world coordinates to pixels: ``k`` pixels per unit, world point (x0, y_top) at pixel (0, 0)."""

    def __init__(self, k: float, x0: float, y_top: float) -> None:
        self.k, self.x0, self.y_top = k, x0, y_top

    def px(self, p: tuple[float, float]) -> tuple[float, float]:
        return ((p[0] - self.x0) * self.k, (self.y_top - p[1]) * self.k)

    def poly(self, pts) -> list[tuple[float, float]]:
        return [self.px(p) for p in pts]


def _ground_range(course: Course) -> tuple[float, float]:
    ys = list(course.terrain_y) + [v[1] for ob in course.obstacles for v in ob.vertices]
    return min(ys), max(ys)


def _draw_course(draw: ImageDraw.ImageDraw, cv: _Canvas, course: Course, bottom: float, ink=_rgb) -> None:
    """The static course: ground fill down to ``bottom``, grass edges, obstacles, start flag, finish."""
    xs, ys = course.terrain_x, course.terrain_y
    # one polygon for the whole ground (per-segment quads would leave hairline gaps between them)
    surface = list(zip(xs, ys, strict=True))
    draw.polygon(cv.poly([(xs[0], bottom), *surface, (xs[-1], bottom)]), fill=ink(GROUND))
    width = max(1, int(round(cv.k / 15)))
    for i in range(len(xs) - 1):
        draw.line(cv.poly([(xs[i], ys[i]), (xs[i + 1], ys[i + 1])]), fill=ink(GRASS[i % 2]), width=width)
    for ob in course.obstacles:
        draw.polygon(cv.poly(ob.vertices), fill=ink(OBSTACLE), outline=ink(OBSTACLE_OUTLINE))
    # the reference's flag: a pole 50 px high at x = 3 steps, a red pennant
    fx, fy1 = TERRAIN_STEP * 3, TERRAIN_HEIGHT
    fy2 = fy1 + 50 / SCALE
    draw.line(cv.poly([(fx, fy1), (fx, fy2)]), fill=ink(FLAG_POLE), width=max(1, int(round(cv.k / 20))))
    draw.polygon(cv.poly([(fx, fy2), (fx, fy2 - 10 / SCALE), (fx + 25 / SCALE, fy2 - 5 / SCALE)]),
                 fill=ink(FLAG), outline=ink(FLAG_POLE))
    # where the episode ends (not drawn by the reference; helps reading a whole-course picture)
    i_end = min(len(xs) - 1, int(math.floor(COURSE_END / TERRAIN_STEP)))
    ye = ys[i_end]
    draw.line(cv.poly([(COURSE_END, ye), (COURSE_END, ye + 50 / SCALE)]), fill=ink(FINISH),
              width=max(1, int(round(cv.k / 20))))


def _draw_walker(draw: ImageDraw.ImageDraw, cv: _Canvas, bodies, lidar=None, ink=_rgb) -> None:
    if lidar:
        red = ink(LIDAR)
        for p1, p2 in lidar:
            draw.line(cv.poly([p1, p2]), fill=red, width=1)
    for pts, colour in bodies:
        draw.polygon(cv.poly(pts), fill=ink(colour), outline=ink(_darker(colour)))


def _standing_walker(course: Course) -> list:
    """The walker's bodies at the start of an episode (for the course picture's sense of scale)."""
    from aiga.envs.walker.box2d_env import WalkerCourseSim

    sim = WalkerCourseSim(course)
    sim.reset()
    return sim.body_polygons()


def draw_course(params: CourseParams | Course, px_per_unit: float = 16.0, caption: str | None = None,
                walker: bool = True) -> Image.Image:
    """The whole course to scale (RGB): sky, ground, pits, stumps, the start flag, the finish post,
    the walker standing at the start for scale, a caption and a ruler in world units.

    ``caption`` defaults to the course's description (``WalkerFamily.describe``).
    """
    if px_per_unit <= 0 or not math.isfinite(px_per_unit):
        raise AigaError(f"px_per_unit must be a positive number, got {px_per_unit!r}")
    course = params if isinstance(params, Course) else generate_course(params)
    lo, hi = _ground_range(course)
    bottom = min(0.0, lo - 1.0)
    top = hi + 3.5  # room for the walker (about 2.4 units tall) and the flag
    x_left, x_right = -1.0, course.terrain_x[-1] + 1.0
    k = float(px_per_unit)
    ruler_h, caption_h = 18, 22
    w = int(math.ceil((x_right - x_left) * k))
    h_world = int(math.ceil((top - bottom) * k))
    if w * (h_world + ruler_h + caption_h) > 60_000_000:
        raise AigaError(f"the picture would be {w} x {h_world} pixels; use a smaller px_per_unit")
    img = Image.new("RGB", (w, h_world + ruler_h + caption_h), _rgb(SKY))
    draw = ImageDraw.Draw(img)
    cv = _Canvas(k, x_left, top + caption_h / k)
    _draw_course(draw, cv, course, bottom)
    if walker:
        _draw_walker(draw, cv, _standing_walker(course))
    # ruler: a tick every 5 units, labelled every 10
    y0 = caption_h + h_world
    draw.rectangle([0, y0, w, y0 + ruler_h], fill=(255, 255, 255))
    font = _font(11)
    for u in range(0, int(x_right) + 1, 5):
        x = (u - x_left) * k
        draw.line([(x, y0), (x, y0 + (8 if u % 10 == 0 else 4))], fill=_rgb(TEXT))
        if u % 10 == 0:
            draw.text((x + 2, y0 + 5), f"{u}", fill=_rgb(TEXT), font=font)
    if caption is None:
        from aiga.envs.walker.family import WalkerFamily

        fam = WalkerFamily(courses="cppn" if course.params.cppn is not None else "poet")
        caption = fam.describe(course.params)
    draw.rectangle([0, 0, w, caption_h], fill=(255, 255, 255))
    draw.text((4, 3), caption, fill=_rgb(TEXT), font=_font(14))
    return img


# ------------------------------------------------------------------------------------ episodes


@dataclass(frozen=True)
class EpisodeRender:
    """What ``render_episode`` did: where the file is and how the episode went."""

    path: Path
    steps: int
    episode_return: float
    finished: bool
    fell: bool
    frames: int
    final_x: float


class _Strip:
    """The course drawn once at frame resolution, wide enough for any camera position."""

    def __init__(self, course: Course, k: float, palette: _Palette) -> None:
        lo, hi = _ground_range(course)
        self.fixed_view = lo >= 0.0 and hi <= 0.7 * VIEW_H  # the reference's window shows it all
        self.bottom = min(0.0, lo - VIEW_H)
        self.top = max(VIEW_H, hi + VIEW_H)
        self.x_left = -VIEW_W
        self.x_right = course.terrain_x[-1] + 2 * VIEW_W
        self.k = k
        w = int(math.ceil((self.x_right - self.x_left) * k))
        h = int(math.ceil((self.top - self.bottom) * k))
        img = Image.new("P", (w, h), palette(SKY))
        img.putpalette(palette.flat())
        _draw_course(ImageDraw.Draw(img), _Canvas(k, self.x_left, self.top), course, self.bottom, ink=palette)
        self.image = img

    def crop(self, x0: float, y0: float, w: int, h: int) -> tuple[Image.Image, _Canvas]:
        """The window whose bottom-left world corner is (x0, y0), as a new image and its canvas."""
        x0 = min(max(x0, self.x_left), self.x_right - w / self.k)
        y0 = min(max(y0, self.bottom), self.top - h / self.k)
        px = int(round((x0 - self.x_left) * self.k))
        py = int(round((self.top - y0) * self.k)) - h
        frame = self.image.crop((px, py, px + w, py + h))
        # the canvas of the crop, snapped to the same whole pixel as the crop
        x0s = self.x_left + px / self.k
        y_top = self.top - py / self.k
        return frame, _Canvas(self.k, x0s, y_top)


def load_theta(path: str | Path, num_params: int) -> np.ndarray:
    """A policy parameter vector from an ``.npz`` (key ``theta``, or its only array) or ``.npy`` file."""
    p = Path(path)
    if not p.is_file():
        raise AigaError(f"policy file {p} does not exist")
    try:
        data = np.load(p, allow_pickle=False)
        if isinstance(data, np.ndarray):
            theta = data
        else:
            with data:
                if "theta" in data.files:
                    theta = data["theta"]
                elif len(data.files) == 1:
                    theta = data[data.files[0]]
                else:
                    raise AigaError(f"{p} holds several arrays ({', '.join(data.files)}); name one 'theta'")
    except AigaError:
        raise
    except (ValueError, OSError, EOFError) as e:
        raise AigaError(f"cannot read policy parameters from {p}: {e}") from None
    theta = np.asarray(theta, dtype=np.float64).reshape(-1)
    if theta.size != num_params:
        raise AigaError(f"{p} holds {theta.size} numbers; the 24-40-40-4 policy has {num_params}")
    if not np.all(np.isfinite(theta)):
        raise AigaError(f"{p} holds non-finite policy parameters")
    return theta


def check_video_path(path: str | Path) -> Path:
    """``path`` if its extension is one ``render_episode`` writes (``.gif`` or ``.mp4``)."""
    p = Path(path)
    if p.suffix.lower() not in VIDEO_SUFFIXES:
        raise AigaError(f"episode output must end in .gif or .mp4, got {p.name!r}")
    return p


def render_episode(params: CourseParams | Course, theta: np.ndarray, path: str | Path, fps: float = 50.0,
                   every: int = 2, max_steps: int = MAX_EPISODE_STEPS, scale: float = 1.0,
                   lidar: bool = True, caption: str | None = None, sim: str = "box2d") -> EpisodeRender:
    """Run the 24-40-40-4 tanh policy ``theta`` on the course and write the episode to ``path``.

    The format follows the extension: ``.gif`` (Pillow) or ``.mp4`` (H.264 through imageio's bundled
    ffmpeg). A frame is drawn every ``every`` simulation steps (and at the last step); ``fps`` is the
    playback speed in simulation steps per second, so the default 50 plays in real time (the
    simulator runs at 50 steps per second) at ``fps / every`` frames per second. ``scale`` resizes the
    reference's 600 x 400 frame. The episode is the one every evaluation of ``theta`` on this course
    sees (fixed course and push) in the simulator ``sim``: ``"box2d"`` (the reference) or ``"fast"`` (the
    compiled one, ``fast_sim``; a run's pictures use the simulator the run trained in).
    """
    from aiga.core.policy import MLPPolicy
    from aiga.core.progress import progress
    from aiga.envs.walker.box2d_env import WalkerCourseSim
    from aiga.envs.walker.evaluate import check_sim

    path = check_video_path(path)
    sim_name = check_sim(sim)
    if not isinstance(every, int | np.integer) or every < 1:
        raise AigaError(f"every must be a whole number >= 1, got {every!r}")
    if not (isinstance(fps, int | float) and math.isfinite(fps) and fps > 0):
        raise AigaError(f"fps must be a positive number, got {fps!r}")
    if not isinstance(max_steps, int | np.integer) or max_steps < 1:
        raise AigaError(f"max_steps must be a whole number >= 1, got {max_steps!r}")
    if not (isinstance(scale, int | float) and 0.1 <= scale <= 4):
        raise AigaError(f"scale must be in [0.1, 4], got {scale!r}")
    policy = MLPPolicy()
    theta = np.asarray(theta, dtype=np.float64).reshape(-1)
    if theta.size != policy.num_params:
        raise AigaError(f"theta has {theta.size} numbers; the 24-40-40-4 policy has {policy.num_params}")
    layers = policy.layers(theta[None, :])

    course = params if isinstance(params, Course) else generate_course(params)
    if sim_name == "fast":
        from aiga.envs.walker.fast_sim import FastWalkerSim

        sim = FastWalkerSim(course, max_steps=int(max_steps))
    else:
        sim = WalkerCourseSim(course, max_steps=int(max_steps))
    k = SCALE * float(scale)
    w, h = int(round(VIEWPORT_W * scale)) // 2 * 2, int(round(VIEWPORT_H * scale)) // 2 * 2  # even for H.264
    from aiga.envs.walker.box2d_env import HULL_COLOUR, LEG_COLOURS

    body_colours = [HULL_COLOUR, *LEG_COLOURS.values()]
    palette = _Palette([SKY, GROUND, *GRASS, OBSTACLE, OBSTACLE_OUTLINE, FLAG, FLAG_POLE, FINISH, LIDAR,
                        TEXT, *body_colours, *[_darker(c) for c in body_colours]])
    strip = _Strip(course, k, palette)
    font = _font(max(9, int(round(13 * scale))))
    frame_ms = 1000.0 * every / fps
    writer = _Writer(path, fps / every, frame_ms)
    cam_y: float | None = None

    def frame(step: int, total: float) -> None:
        nonlocal cam_y
        hx, hy = sim.hull_position
        x0 = hx - VIEW_W / 5  # the reference's scroll
        if strip.fixed_view:
            y0 = 0.0
        else:  # follow vertically, smoothed so the picture does not shake with the gait
            target = hy - 0.45 * VIEW_H
            cam_y = target if cam_y is None else cam_y + 0.2 * (target - cam_y)
            y0 = cam_y
        img, cv = strip.crop(x0, y0, w, h)
        draw = ImageDraw.Draw(img)
        draw.fontmode = "1"  # no anti-aliasing: a palette image has no colours in between
        _draw_walker(draw, cv, sim.body_polygons(), sim.lidar_points() if lidar else None, ink=palette)
        text = f"step {step}   x {hx:5.1f}   return {total:7.1f}"
        if caption:
            text = f"{caption}   {text}"
        draw.text((6, 4), text, fill=palette(TEXT), font=font)
        writer.add(img)

    obs = sim.reset()
    total = 0.0
    steps = shown = 0
    terminated = truncated = False
    try:
        with progress(int(max_steps), "episode", unit="step") as bar:
            frame(0, total)
            while True:
                action = policy.forward(layers, obs[None, :])[0]
                obs, reward, terminated, truncated = sim.step(action)
                total += reward
                steps += 1
                last = terminated or truncated
                if steps % every == 0 or last:
                    frame(steps, total)
                if steps % 50 == 0 or last:
                    bar.update(steps - shown, x=sim.hull_position[0], ret=total)
                    shown = steps
                if last:
                    break
        writer.close()
    except BaseException:
        writer.abort()
        raise
    fell = terminated and not sim.finished
    return EpisodeRender(path=path, steps=steps, episode_return=float(total), finished=bool(sim.finished),
                         fell=bool(fell), frames=writer.frames, final_x=float(sim.hull_position[0]))


class _Writer:
    """Frames to a GIF (Pillow) or MP4 (imageio-ffmpeg, streamed).

    Writes to a temporary name next to ``path`` and renames at the end, so an interrupted render
    leaves no half-written file under the requested name.
    """

    def __init__(self, path: Path, frame_rate: float, frame_ms: float) -> None:
        self.path = path
        self.tmp = path.with_name(f".{path.stem}.partial{path.suffix}")
        self.gif = path.suffix.lower() == ".gif"
        self.frame_ms = frame_ms
        self.frames = 0
        self._gif_frames: list[Image.Image] = []
        self._video: Any = None
        self._frame_rate = frame_rate

    def add(self, img: Image.Image) -> None:
        self.frames += 1
        if self.gif:
            self._gif_frames.append(img)  # already a palette image
            return
        if self._video is None:
            import imageio.v2 as imageio

            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._video = imageio.get_writer(str(self.tmp), format="FFMPEG", mode="I", fps=self._frame_rate,
                                             codec="libx264", quality=7, macro_block_size=2,
                                             pixelformat="yuv420p", ffmpeg_log_level="error")
        self._video.append_data(np.asarray(img.convert("RGB")))

    def close(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.gif:
            first, *rest = self._gif_frames
            # GIF delays are in 1/100 s; browsers treat delays under 20 ms as 100 ms, so clamp there.
            duration = max(20, int(round(self.frame_ms / 10.0)) * 10)
            first.save(self.tmp, format="GIF", save_all=True, append_images=rest, duration=duration, loop=0,
                       optimize=False, disposal=1)
            self._gif_frames = []
        else:
            self._video.close()
        self.tmp.replace(self.path)

    def abort(self) -> None:
        self._gif_frames = []
        if self._video is not None:
            try:
                self._video.close()
            except Exception:  # noqa: BLE001 (already failing; keep the original error)
                pass
        self.tmp.unlink(missing_ok=True)
