"""The network zoo (slides 65-71): one module per architecture, each trained through `core.training`.

Each architecture module (`cnn`, `autoencoders`, `fcn`, `recurrent`, `transformer`, `gan`) holds its
models, its offline data, its experiments (`run(config) -> Result` of tidy DataFrames) and a
`SHIPPED` table: the small trained weights in `assets/zoo/` that make its page's default view
ready at once. `python -m core.zoo` (see `core/zoo/__main__.py`) remakes them; `core.zoo.weights`
saves and loads them without ever unpickling an object.
"""
ARCHITECTURES = ("cnn", "autoencoders", "fcn", "recurrent", "transformer", "gan")
