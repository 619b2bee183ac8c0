"""Zoo: autoencoders (slide 67, latent space of slides 15-16): plain, denoising and variational autoencoders on the 8x8 digits."""
import inspect

import streamlit as st

from core import charts
from core.charts import autoencoders as ae_charts
from core.zoo import autoencoders as ae, autoencoders_views as views, overview
from ui import chrome, runners, show

card = next(a for a in overview.ARCHITECTURES if a.page == "pages/9_Zoo_Autoencoders.py")
chrome.page("Zoo: autoencoders (plain, denoising, variational)", "67", f"""- **Purpose:** {card.purpose}
- **Architecture:** {card.architecture}
- **Output:** {card.output}

*Latent* means hidden: present, but not directly observed (slides 15-16). The **encoder** compresses each of
scikit-learn's 8 × 8 digits into a few latent numbers, the **decoder** rebuilds the 64 pixels from them, and the
loss is the difference between output and input. Four small networks open with weights shipped with the app;
train your own just below and every view switches to them.""")

# 0. Which weights --------------------------------------------------------------------------------------------------
with st.container(border=True):
    own = st.toggle("Train it yourself (the four autoencoders side by side: about 10 s at 60 epochs on a free "
                    "2-core CPU, 30 s at 150)", key="ae-own", bind="query-params")
    recipe = None
    if own:
        c1, c2, c3 = st.columns(3)
        wide = c1.select_slider("Latent numbers of the wider AE and the denoising AE", ae.WIDE, ae.SHIPPED_RECIPE.wide,
                                key="ae-wide", bind="query-params")
        noise = c2.select_slider("Denoising AE: largest training noise (std)", (0.25, 0.5, 0.75, 1.0),
                                 ae.SHIPPED_RECIPE.noise, key="ae-train-noise", bind="query-params")
        beta = c3.select_slider("VAE: weight β of the KL term (log scale)", ae.BETAS, ae.SHIPPED_RECIPE.beta,
                                key="ae-beta", bind="query-params")
        c1, c2, c3 = st.columns(3)
        epochs = c1.slider(f"Epochs (at most {ae.MAX_EPOCHS})", 10, ae.MAX_EPOCHS, ae.SHIPPED_RECIPE.epochs, 10,
                           key="ae-epochs", bind="query-params")
        lr = c2.select_slider("Learning rate (Adam, log scale)", (0.001, 0.003, 0.01), ae.SHIPPED_RECIPE.lr,
                              key="ae-lr", bind="query-params")
        seed = c3.number_input("Seed", 0, 2**31 - 1, 0, key="ae-seed", bind="query-params")
        recipe = runners.config(ae.Recipe, wide=wide, noise=noise, beta=beta, epochs=epochs, lr=lr, seed=int(seed))
    slot = st.empty()
source = ae.Source(recipe)
run = runners.run(ae.trained, source, label="Training the four autoencoders",
                  live=lambda history: show.redraw(slot, charts.curves(history, "loss", log_y=True)))
view = runners.run(views.inspect, views.View(source), label="Running the autoencoders")
who = "the shipped weights (`python -m core.zoo`)" if run.shipped else "**your** autoencoders"
with slot.container():
    show.chart(charts.curves, run.history, "loss", log_y=True, key="ae-curves")
    st.caption(f"Showing {who}: {run.recipe.epochs} epochs of Adam at learning rate {run.recipe.lr:g}, batches of "
               f"{run.recipe.batch_size}, seed {run.recipe.seed}; all four trained in {run.seconds:.1f} s. The loss is "
               "the reconstruction error, the mean squared error per pixel (solid: training digits, dashed: "
               "validation digits).")
name, err = view.labels, view.errors

# 1. Architecture ---------------------------------------------------------------------------------------------------
chrome.section("1 · Encoder → latent code → decoder, with the shape of every tensor", "67")
st.markdown(f"**Encoder**: a digit in, {ae.NARROW} numbers out (the latent code)")
show.layers(view.encoder, key="ae-encoder", title="Digit")
st.markdown("**Decoder**: the code in, a digit out (the reconstruction)")
show.layers(view.decoder, key="ae-decoder", title="Latent code")
with st.expander("The network in PyTorch (core/zoo/autoencoders.py)"):
    st.code(inspect.getsource(ae.AutoEncoder))
chrome.notice(f"the encoder turns 64 pixels into {ae.NARROW} numbers, {64 // ae.NARROW} times fewer, and the decoder "
              f"must redraw the whole digit from them alone. The two halves mirror each other ({view.weights['encoder']:,} "
              f"and {view.weights['decoder']:,} weights). Nobody says what the {ae.NARROW} numbers should mean: the loss "
              "only asks for output = input (mean squared error per pixel), and the code becomes whatever makes that "
              "easiest. The sigmoid at the end keeps every pixel between 0 and 1, like the data.")

# 2. Reconstructions ------------------------------------------------------------------------------------------------
chrome.section("2 · Originals and their reconstructions", "67")
show.images(view.strips, ["Originals (the first validation image of each digit)",
                          f"{name['ae']}: error {err['ae']:.4f} per pixel", f"{name['wide']}: error {err['wide']:.4f}",
                          f"{name['vae']}: error {err['vae']:.4f}"], columns=1)
show.chart(charts.bars, view.class_errors, "digit", views.CLASS_ERROR, "model", key="ae-class-errors")
(worst, worst_error), (best, best_error) = view.extremes
vae_cost = err["vae"] / err["ae"] - 1
chrome.notice(f"with {ae.NARROW} numbers per digit the validation error is {err['ae']:.4f} per pixel, "
              f"{err['ae'] / view.mean_digit_error:.0%} of the {view.mean_digit_error:.4f} of drawing the average digit "
              f"every time; {run.recipe.wide} numbers bring it down to {err['wide']:.4f}. The 2-D reconstructions are "
              f"blurry prototypes: the {worst}s suffer most ({worst_error:.4f}), the {best}s least ({best_error:.4f}). The VAE, also squeezed through {ae.NARROW} numbers, "
              f"reconstructs with {abs(vae_cost):.0%} {'more' if vae_cost > 0 else 'less'} error than the plain 2-D AE: "
              "its KL term asks for more than a good copy (section 5).")

# 3. Latent space ---------------------------------------------------------------------------------------------------
chrome.section("3 · The latent space: every validation digit as two numbers", "15-16")
codes = view.codes
for column, key in zip(st.columns(2), ("ae", "vae")):
    with column:
        show.chart(ae_charts.latent_map, codes[codes.model == name[key]], name[key], key=f"ae-map-{key}")
near, (a, b, times) = view.neighbours, view.mixed["ae"]
chrome.notice(f"digits of a kind gather, though the labels were never used in training: for {near['ae']:.0%} of the "
              f"validation digits the nearest other digit on the plain AE's map is the same digit (VAE: {near['vae']:.0%}; "
              f"in the 64 raw pixels: {near['pixels']:.0%}). Two numbers keep most of what tells digits apart, not "
              f"all: the plain AE mixes up {a} and {b} most ({times} times). Its codes spread {view.spread['ae']:.1f} "
              f"around their centre, with gaps between the groups; the VAE's spread {view.spread['vae']:.2f}, because "
              "its KL term pulls every code towards the standard normal (spread 1). A compact plane without big "
              "holes is what lets the VAE generate (section 5).")

# 4. Denoising ------------------------------------------------------------------------------------------------------
chrome.section("4 · A denoising autoencoder: noisy input, clean target", "67")
st.markdown(f"The denoising AE has the layers of the plain {run.recipe.wide}-D AE; while it trains, a `Noise` layer "
            f"spoils every input with fresh Gaussian noise (std drawn up to {run.recipe.noise:g} per digit, every "
            "step), and the target stays the clean digit. Below, the same noise spoils the validation digits.")
level = st.slider("Noise added to the validation digits (standard deviation; pixels run from 0 to 1)", 0.0,
                  max(views.NOISE_LEVELS), 0.3, 0.05, key="ae-noise", bind="query-params")
dn = runners.run(views.denoise, runners.config(views.Denoise, source=source, noise=level), label="Adding noise")
show.images(dn.pictures, [f"Noisy input (error {dn.errors['input']:.4f} per pixel)", "Clean original (the target)",
                          f"{name['wide']} reconstructs the noisy input (error {dn.errors['wide']:.4f})",
                          f"{name['denoising']} reconstructs the noisy input (error {dn.errors['denoising']:.4f})"],
            columns=2)
show.chart(ae_charts.noise_errors, view.noise_curve, level, key="ae-noise-errors")
show.table(dn.table, key="ae-errors")
wins = view.denoising_wins_from
since = "at no noise level shown" if wins is None else f"from noise {wins:g} up"
price = "pays for it" if err["denoising"] > err["wide"] else "does not even pay for it"
gain = 1 - dn.errors["denoising"] / dn.errors["wide"]
verdict = (f"{gain:.0%} less error than the plain AE of the same size" if gain > 0 else
           f"{-gain:.0%} more error than the plain AE: at this light noise, copying wins")
noisy = (f"at noise {level:g} the noisy digits are {dn.errors['input']:.4f} away from the clean ones. The plain "
         f"{run.recipe.wide}-D AE reconstructs at {dn.errors['wide']:.4f}: it learned to copy, noise included. The "
         f"denoising AE gets {dn.errors['denoising']:.4f}, {verdict}. The 2-D AE cannot store noise in 2 numbers, "
         f"yet noise throws its code off: its error rises from {err['ae']:.4f} to {dn.errors['ae']:.4f}. A narrow "
         "bottleneck alone is not a denoiser; training on noisy inputs is. ")
chrome.notice((noisy if level > 0 else "with no noise the inputs are the clean digits; move the slider. ") +
              f"The denoising AE beats the plain {run.recipe.wide}-D AE {since} (chart) and {price} on clean "
              f"digits ({err['denoising']:.4f} against {err['wide']:.4f}).")

# 5. Variational autoencoder ----------------------------------------------------------------------------------------
chrome.section("5 · A variational autoencoder: a latent space to generate from", "67")
st.markdown("The VAE's encoder gives a **mean μ and a variance σ²** for each latent number; the code is drawn from "
            "them while training, and a KL term (added to the loss through the trainer's `aux_loss`) pulls every "
            "digit's distribution towards the standard normal. Its decoder is the plain AE's.")
show.layers(view.vae_encoder, key="ae-vae-encoder", title="Digit")
with st.expander("The sampling step and the KL term in PyTorch (core/zoo/autoencoders.py)"):
    st.code(inspect.getsource(ae.Reparameterize) + "\n" + inspect.getsource(ae.VariationalAutoEncoder))
c1, c2 = st.columns(2)
start = c1.selectbox("Walk from digit", range(10), views.Walk.start, key="ae-from", bind="query-params")
end = c2.selectbox("to digit (the same digit: two ways of writing it)", range(10), views.Walk.end, key="ae-to",
                   bind="query-params")
walked = runners.run(views.walk, runners.config(views.Walk, source=source, start=start, end=end), label="Walking")
left, right = st.columns(2)
with left:
    show.chart(ae_charts.latent_map, codes[codes.model == name["vae"]], f"{name['vae']}: the grid's square and the walk",
               square=views.SPAN, path=walked.path, key="ae-vae-walk")
with right:
    st.image(view.grid, caption=f"The decoder on a {views.GRID} × {views.GRID} grid from −{views.SPAN:g} to "
                                f"{views.SPAN:g} on both axes (z2 up, z1 right): the dashed square on the map",
             width="stretch")
steps = " ".join(map(str, walked.nearest))
show.images([walked.latent, walked.pixels],
            [f"Walking the straight line between their codes, decoded (nearest validation digit per step: {steps})",
             "Cross-fading their pixels instead"], columns=1)
near_cells, random_cells = view.smooth
crossed = sorted(set(walked.nearest) - {start, end})
via = (f"through the region{'s' * (len(crossed) > 1)} of {', '.join(map(str, crossed))}" if crossed else
       "straight from one region into the other")
chrome.notice(f"neighbouring cells of the grid differ by {near_cells:.3f} per pixel (RMS), random pairs of cells by "
              f"{random_cells:.3f}, {random_cells / near_cells:.1f} times more: a small step in the VAE's plane changes "
              f"the digit a little, so every point decodes to something digit-like and new digits are drawn by picking "
              f"a point. The walk from {start} to {end} goes {via} (nearest digit per step: {steps}). The cross-fade "
              "overlays the two images instead: half-way, both are there at half brightness, a ghost rather than "
              "a digit.")
chrome.end()
