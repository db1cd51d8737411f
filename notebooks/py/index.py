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
# # Xen event channels, hands on: start here
#
# Executable models of the Xen event-channel ABIs (2-level, 3-level and FIFO) and of the
# Linux guest's upcall loop, for teaching and for design review. Each notebook teaches one
# idea, and every widget has a static figure or table of the same thing just before it.

# %% [markdown]
# ## Course map
#
# In reading order, one line per notebook:
#
# * [00 · Quickstart](00-quickstart.ipynb): the three schemes behind one API, raise and deliver.
# * [01 · Two-level upcall](01-two-level-upcall.ipynb): one 2-level upcall, step by step.
# * [02 · Starvation](02-starvation.ipynb): who waits, and how long, under each scan policy.
# * [03 · Three-level](03-three-level.ipynb): one more bitmap level (a reconstruction).
# * [04 · FIFO](04-fifo.ipynb): the event word and one linked queue per priority.
# * [05 · Limits and capacity](05-limits-and-capacity.ipynb): ports, memory, guests per dom0.
# * [06 · Design review](06-design-review.ipynb): every scheme on one realistic workload.
# * [07 · Races](07-races.ipynb): Xen and the guest at once; the FIFO bugs of 2013 replayed.
# * [08 · Lifecycle, vCPUs, storms](08-lifecycle-vcpus-storms.ipynb): the switch to FIFO,
#   page by page; four vCPUs and rebinding; a hostile frontend and late EOI.

# %% [markdown]
# ## What to try first
#
# 1. Open [00 · Quickstart](00-quickstart.ipynb) and run it one cell at a time with
#    **Shift+Enter**.
# 2. When a cell asks you to predict something, write your answer down first. The answer
#    is in the next cell, folded away: it shows only `Answer:` and a `•••` bar. Run that
#    cell, or click the folded output, to reveal it. (Run All runs every cell, so it
#    reveals every answer at once.)
# 3. Go on with [01 · Two-level upcall](01-two-level-upcall.ipynb): step through one upcall
#    with the buttons, the slider or play, then change the pending ports and step again.
#
# The widgets work once their cell has run. The `py/` folder holds each notebook's text
# twin (for readable diffs); you never need to open it.
