"""Chart builders of the zoo's autoencoder page: the 2-D latent plane of the digits, and error against noise."""
from __future__ import annotations

import altair as alt
import pandas as pd

from core.charts.shared import bars
from core.charts.theme import HEIGHT, PALETTE, colour_by, in_order

# Ten digits need ten colours: Okabe & Ito's six strong ones (not their yellow, faint as text on white,
# nor black, the walk's colour) plus Tol's wine, indigo and olive and a grey. Each point is also drawn
# as its digit, so the map reads without telling the colours apart.
DIGIT_COLOURS = (*PALETTE[:6], "#882255", "#332288", "#999933", "#777777")
DIGITS = [str(d) for d in range(10)]


def latent_map(codes: pd.DataFrame, title: str = "", square: float | None = None,
               path: pd.DataFrame | None = None) -> alt.LayerChart:
    """Every digit drawn as its own number at its code (z1, z2), coloured by digit.

    codes columns: z1, z2 (float), digit (str "0".."9"). `square`: outline the square from -square to
    +square on both axes (the part of the plane a grid decodes). `path` columns: step, z1, z2: a walk
    through the plane, drawn as a line with a dot per step.
    """
    colour = alt.Color("digit:N", scale=alt.Scale(domain=DIGITS, range=list(DIGIT_COLOURS)), legend=None)
    x, y = alt.X("z1:Q", title="latent number z1"), alt.Y("z2:Q", title="latent number z2")
    layers: list[alt.Chart] = [
        alt.Chart(codes).mark_text(fontSize=13, fontWeight="bold", opacity=0.8).encode(
            x=x, y=y, text=alt.Text("digit:N"), color=colour,
            tooltip=[alt.Tooltip("digit:N"), alt.Tooltip("z1:Q", format=".2f"), alt.Tooltip("z2:Q", format=".2f")])
    ]
    if square is not None:
        box = pd.DataFrame({"lo": [-square], "hi": [square]})
        layers.append(alt.Chart(box).mark_rect(fillOpacity=0, stroke="#000000", strokeDash=[6, 4], strokeWidth=1.5)
                      .encode(x=alt.X("lo:Q"), x2=alt.X2("hi"), y=alt.Y("lo:Q"), y2=alt.Y2("hi")))
    if path is not None:
        walk = alt.Chart(path).encode(x=alt.X("z1:Q"), y=alt.Y("z2:Q"), order=alt.Order("step:Q"),
                                      tooltip=[alt.Tooltip("step:Q"), alt.Tooltip("z1:Q", format=".2f"),
                                               alt.Tooltip("z2:Q", format=".2f")])
        layers += [walk.mark_line(color="#000000", strokeWidth=3),
                   walk.mark_point(color="#000000", filled=True, size=70)]
    return alt.layer(*layers).properties(title=title, height=HEIGHT)


def noise_errors(df: pd.DataFrame, noise: float) -> alt.LayerChart:
    """Reconstruction error against the noise level, a line per model, the chosen level marked by a rule.

    df columns: model (str), noise (std) (float), error (float, mean squared error per pixel).
    """
    models = in_order(df["model"])
    lines = alt.Chart(df).mark_line(strokeWidth=2.5, point=alt.OverlayMarkDef(size=30, filled=True)).encode(
        x=alt.X("noise (std):Q", title="noise added to the digits (standard deviation; pixels run 0 to 1)"),
        y=alt.Y("error:Q", title="reconstruction error (MSE per pixel)"),
        color=colour_by("model", models, title="model"),
        tooltip=[alt.Tooltip("model:N"), alt.Tooltip("noise (std):Q", format=".2f"),
                 alt.Tooltip("error:Q", format=".4f")],
    )
    rule = alt.Chart(pd.DataFrame({"noise (std)": [noise]})).mark_rule(strokeDash=[4, 4], color="#666666").encode(
        x=alt.X("noise (std):Q"))
    return alt.layer(lines, rule).properties(
        height=HEIGHT, title="Error against the clean validation digits, by the noise added to them")


def class_errors(df: pd.DataFrame, y: str) -> alt.Chart:
    """Each model's reconstruction error per digit class (columns: digit, model, `y`)."""
    return bars(df, "digit", y, "model").properties(title="Reconstruction error per digit, on the validation digits")
