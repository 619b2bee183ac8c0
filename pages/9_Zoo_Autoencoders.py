"""Zoo: autoencoders (slide 67; latent space and encoding, slides 16-17): plain, denoising and
variational, on the 8x8 digits."""
import streamlit as st

from core import charts
from core.charts import autoencoders as autoencoder_charts
from core.zoo import autoencoders_lab, recipe
from core.zoo.source import Inspect, Source
from ui import chrome, runners, show, zoo
from ui.parts import autoencoders as parts

chrome.page("autoencoders", """
*Latent* means hidden: present, but not directly observed (slides 16-17). The **encoder**
compresses each of scikit-learn's 8 × 8 digits into a few latent numbers, the **decoder** rebuilds
the 64 pixels from them, and the loss is the difference between output and input. Four small
networks open with weights shipped with the app; train your own just below and every view switches
to them once they are trained.""",
            lead=zoo.card("autoencoders"))

# 0. Which networks --------------------------------------------------------------------------------
with st.container(border=True):
    trained, source, slot = zoo.which(
        parts.recipe(), Source("autoencoders"), label="Training the four autoencoders",
        what="autoencoders", curves=lambda part: charts.curves(part.history, "loss", log_y=True))
    with slot.container():
        parts.curves(trained)
view = runners.run(autoencoders_lab.inspect, Inspect(source), label="Running the autoencoders",
                   inputs=(trained,))
# replaces the notices that would read training into a network that kept epoch 0
never_trained = recipe.untrained(trained.kept_epoch)
untrained = zoo.untrained_notice(never_trained)
untrained_plain = zoo.untrained_notice(tuple(n for n in never_trained if not n.startswith("VAE")))

# 1. Architecture ----------------------------------------------------------------------------------
if chrome.section("1 · Encoder → latent code → decoder, with the shape of every tensor", "67"):
    parts.architecture(view)
    chrome.notice(parts.shape_notice(view.shape_facts), view.shape_facts)

# 2. Reconstructions -------------------------------------------------------------------------------
if chrome.section("2 · Validation digits and their reconstructions", "67"):
    show.images(view.strips, parts.strip_captions(view), columns=1)
    show.chart(autoencoder_charts.class_errors, view.class_errors, autoencoders_lab.CLASS_ERROR,
               key="ae-class-errors")
    chrome.notice(untrained or parts.reconstruction_notice(view.reconstruction_facts),
                  view.reconstruction_facts)

# 3. Latent space ----------------------------------------------------------------------------------
if chrome.section("3 · The latent space: every validation digit as two numbers", "16-17, 67"):
    parts.latent_maps(view)
    chrome.notice(untrained or parts.latent_notice(view.latent_facts), view.latent_facts)

# 4. Denoising -------------------------------------------------------------------------------------
if chrome.section("4 · A denoising autoencoder: noisy input, clean target", "67"):
    st.markdown(parts.denoising_intro(trained.recipe))
    level = st.slider(
        "Noise added to the validation digits (standard deviation; pixels run from 0 to 1)", 0.0,
        max(autoencoders_lab.NOISE_LEVELS), 0.3, 0.05, key="ae-noise", bind="query-params")
    denoised = runners.run(autoencoders_lab.denoise,
                           runners.config(autoencoders_lab.Denoise, source=source, noise=level),
                           label="Adding noise", inputs=(trained,))
    parts.denoised_pictures(denoised, view.labels)
    show.chart(autoencoder_charts.noise_errors, view.noise_curve, level, key="ae-noise-errors")
    show.table(denoised.table, key="ae-errors")
    chrome.notice(untrained_plain
                  or parts.denoise_notice(view.noise_facts, denoised.facts, trained.recipe),
                  view.noise_facts, denoised.facts)

# 5. Variational autoencoder -----------------------------------------------------------------------
if chrome.section("5 · A variational autoencoder: a latent space to generate from", "67"):
    parts.vae_architecture(view)
    start, end = parts.walk_ends()
    walked = runners.run(autoencoders_lab.walk,
                         runners.config(autoencoders_lab.Walk, source=source, start=start, end=end),
                         label="Walking", inputs=(trained,))
    parts.grid_and_walk(view, walked)
    chrome.notice(untrained or parts.grid_notice(view.grid_facts, walked.facts), view.grid_facts,
                  walked.facts)
chrome.end()
