# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 00 · Quickstart: three event-channel ABIs behind one API
#
# **The one idea.** `evtlib` models the three Xen event-channel schemes discussed on
# xen-devel in March 2013: the 2-level bitmap that Xen had, Wei Liu's 3-level extension
# (never merged; the model is a reconstruction), and David Vrabel's FIFO queues, which
# shipped in Xen 4.4. All three take the same calls: Xen raises ports,
# the guest (Linux) takes an upcall, and you read back the delivery order and a
# plain-text dump of the shared state.
#
# **Who it is for.** Anyone starting with `evtlib`, before the notebooks that explain
# each scheme. This notebook has no widgets; every result below is a printed output, and
# the claims are checked by `assert`.

# %%
import evtlib

RAISES = (70, 3, 10)   # the ports Xen raises, in this order
models = {name: evtlib.make_scheme(name) for name in evtlib.SCHEMES}
for name, s in models.items():
    print(f"{name:>4}  {s.describe():<36} ports 1..{s.max_ports - 1}")

# %% [markdown]
# `make_scheme` takes the short names printed on the left; `evtlib.TwoLevel`,
# `evtlib.ThreeLevel` and `evtlib.Fifo` build the same models with options (word size,
# scan policy, number of vCPUs). Port 0 is reserved in every scheme, so the usable range
# starts at 1.
#
# Now Xen raises the same three ports in every model. `s.dump()` prints the state in at
# most 72 columns, ready to paste into a mail. The 2-level model keeps one pending bit per
# port in words of 64 bits, and a selector with one bit per word:

# %%
for s in models.values():
    for port in RAISES:
        s.set_pending(port)
print(models["2l"].dump())

# %% [markdown]
# The FIFO model instead keeps a 32-bit event word per port and links raised ports into
# a queue (here queue 7, the default priority):

# %%
print(models["fifo"].dump())

# %% [markdown]
# **Predict.** Xen raised 70, then 3, then 10. In which order does each scheme deliver
# them when the vCPU takes its upcall?

# %% jupyter={"outputs_hidden": true, "source_hidden": true} tags=["answer"]
print("Answer:")
order = {name: s.upcall() for name, s in models.items()}
for name, ports in order.items():
    print(f"{name:>4} delivered {ports}")
assert order["2l"] == order["3l"] == sorted(RAISES)   # bitmap scan: port order
assert order["fifo"] == list(RAISES)                 # FIFO queue: raise order

# %% [markdown]
# The bitmap schemes scan words and bits upward from where the last scan stopped (here
# the start), so they deliver in port order; FIFO delivers in the order Xen linked the
# events. Each model also counts its shared-memory traffic, as the real code would do it
# (one row per model, the fields of its `s.counters`):

# %%
fields = tuple(models["2l"].counters.as_dict())
print(f"{'':>4}" + "".join(f"{f:>11}" for f in fields))
for name, s in models.items():
    print(f"{name:>4}" + "".join(f"{v:>11}" for v in s.counters.as_dict().values()))

# %% [markdown]
# Why there are three schemes at all: each gives a guest a different number of ports
# (the chart is read off the models; notebook 05 explains it, and why 3-level's figures
# come from a reconstruction).

# %%
# %matplotlib inline
from evtlib.views import charts

fig, limits_chart = charts.plot_limits()
assert limits_chart.value("fifo", 32) == models["fifo"].max_ports
fig

# %% [markdown]
# ## Where next
#
# * `01-two-level-upcall`: how one 2-level upcall finds pending ports, step by step, and
#   why the order depends on where the scan resumes.
# * `03-three-level`: the 3-level extension, a third bitmap level for many more ports.
# * `04-fifo`: the FIFO event word, the queues, priorities, and the corner cases found in
#   review, step by step.
# * The other notebooks in `notebooks/`, numbered in reading order: port limits and
#   capacity, starvation, and the March 2013 design trade-off.
#
# The API is summarised in `docs/api-contract.md`.
