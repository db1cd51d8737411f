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
# # 05 · Limits and capacity: how many guests fit in one dom0?
#
# **The one idea.** Every guest costs dom0 a few event channels (xenstore, console, one
# per network and disk device...), and dom0 needs ports for itself too. So the number of
# ports a scheme allows *per domain* caps the number of guests one dom0 can serve. That
# cap, not speed, is why the March 2013 xen-devel thread (George Dunlap, "Request for
# input: Extended event channel support") existed:
#
# > The number of event channels available for dom0 is currently one of the biggest
# > limitations on scaling up the number of VMs which can be created on a single system.
#
# This notebook computes each scheme's port limit and memory **from the models**
# (`evtlib.limits()`), reproduces the thread's arithmetic for a 32-bit dom0, and lets you
# change the assumptions.
#
# **Who it is for.** Students who want to see where a "max guests" number comes from;
# Xen and toolstack developers checking the arithmetic; anyone in a mailing-list argument
# who needs the numbers as plain text and as a picture.
#
# **How to read it.** Questions come before the cells that answer them: try to predict.
# Every number in the prose is printed by a cell above it, and every claim is checked by
# an `assert`. The calculator widget at the end has a static figure and text of the same
# thing right before it, so the notebook reads fully on GitHub or as exported HTML.
# Nothing here is random.

# %%
# %matplotlib inline
import evtlib
from evtlib.studies import capacity
from evtlib.views import charts, study_widgets as sw

# %% [markdown]
# ## 1. Port limits
#
# * **2-level** (the original ABI): a pending bitmap of W words of W bits, with one
#   selector bit per word. W is the guest's word size (`xen_ulong_t`), so a 32-bit guest
#   gets W² ports and a 64-bit guest more.
# * **3-level** (Wei Liu's series, never merged): one more level of selector above the
#   bitmap, so W³ ports. Its figures here come from a reconstruction (`evtlib.ThreeLevel`,
#   notebook 03): only the series' cover letters were found.
# * **FIFO** (David Vrabel's design, Xen 4.4): a 32-bit *event word* per port, with a
#   17-bit LINK field naming the next port in its queue, so the limit is set by LINK,
#   not by the guest's word size.
#
# **Predict.** Which scheme gives a **64-bit** guest the most ports? And does FIFO give a
# 64-bit guest more ports than a 32-bit one?

# %% jupyter={"outputs_hidden": true, "source_hidden": true} tags=["answer"]
print("Answer:")
print(evtlib.limits_text())
rows = {(r.scheme, r.word_bits): r for r in evtlib.limits()}
for bits in (32, 64):
    assert rows["2l", bits].max_ports == bits ** 2
    assert rows["3l", bits].max_ports == bits ** 3
assert rows["fifo", 32].max_ports == rows["fifo", 64].max_ports == 2 ** 17
assert rows["3l", 64].max_ports > rows["fifo", 64].max_ports > rows["3l", 32].max_ports

# %% [markdown]
# Every number above was read off a full-size model (`max_ports` of `TwoLevel`,
# `ThreeLevel`, `Fifo`), not typed in. On a 64-bit guest 3-level gives the most ports, on
# a 32-bit guest FIFO does, and FIFO is the only scheme whose limit does not depend on the
# guest's word size (it was a design requirement: "identical ABI" for 32- and 64-bit
# guests). The same numbers on a log scale:

# %%
fig, limits_chart = charts.plot_limits()
assert limits_chart.value("2l", 32) == rows["2l", 32].max_ports
fig

# %% [markdown]
# ## 2. The memory each scheme shares with Xen
#
# Ports are not free: each scheme keeps per-port state in guest memory that Xen writes.
#
# **Predict.** At its port limit, which scheme needs the most shared memory per domain:
# 3-level with its two big bitmaps, or FIFO with one 32-bit word per port? And per
# vCPU, counting what the guest really allocates?

# %% jupyter={"outputs_hidden": true, "source_hidden": true} tags=["answer"]
print("Answer:")
fig, memory_chart = charts.plot_memory()
print(f"{'scheme':<9}{'guest':>6}{'bits/port':>10}{'extra pages':>12}"
      f"{'vCPU ABI':>10}{'allocated':>11}")
for r in evtlib.limits():
    bits_per_port = 8 * r.shared_bytes / r.max_ports
    print(f"{r.label:<9}{r.word_bits:>6}{bits_per_port:>10g}{r.extra_pages:>12}"
          f"{r.per_vcpu_bytes:>10}{r.per_vcpu_used_bytes:>11}")
    assert bits_per_port == (32 if r.scheme == "fifo" else 2)
assert memory_chart.value("fifo", 64) > memory_chart.value("3l", 64) > memory_chart.value("2l", 64)
assert rows["2l", 64].extra_pages == 0 and rows["fifo", 64].per_vcpu_used_bytes == 4096
fig

# %% [markdown]
# The bitmap schemes spend two bits per port (PENDING and MASK); FIFO spends a whole
# 32-bit word per port (PENDING, MASKED, LINKED, BUSY and the 17-bit LINK), so **at its
# port limit** it needs the most shared memory per domain. That is not what a guest
# pays:
#
# * The 2-level bitmaps are fields of the `shared_info` page every guest shares with Xen
#   anyway: no page of their own ("extra pages" 0 above). 3-level (the reconstruction)
#   registers both of its bitmaps whole.
# * FIFO's event array is made of guest pages that Linux adds one at a time as it binds
#   ports (`EVTCHNOP_expand_array`): a port `p` needs `p // 1024 + 1` pages.
#
# Per vCPU, by the ABI's size 3-level needs the most (an L1 selector word plus an array
# of W L2 selector words) and FIFO's control block (READY plus 16 HEADs) is 72 bytes. But
# Linux gives each CPU a **whole page** for that control block, so per vCPU, as
# allocated, FIFO needs the most.
#
# The memory **for the ports actually bound**, for a guest whose highest port is 300
# (most domUs: xl's default `max_event_channels` is 1023) and for a dom0 with a few
# thousand:

# %%
for highest in (300, 4000):
    mem = {name: evtlib.bound_memory(name, 64, highest) for name in evtlib.SCHEMES}
    print(f"highest port {highest}, pages: " + ", ".join(
        f"{evtlib.SCHEMES[n].label} {m.extra_pages}" for n, m in mem.items()))
assert evtlib.bound_memory("fifo", 64, 300).extra_pages == 1
assert evtlib.bound_memory("2l", 64, 300).extra_pages == 0

# %% [markdown]
# ## 3. Guests per dom0: the thread's arithmetic
#
# George Dunlap's summary:
#
# > This limits the total number of event channels to word_size ^ 2, which is 1024 for
# > 32-bit guests and 4096 for 64-bit guests. This sounds like a lot, until you consider
# > that in a typical system, each VM needs 4 or more event channels in domain 0. This
# > means that for a 32-bit dom0, there is a theoretical maximum of 256 guests -- and in
# > practice it's more like 180 or so, because of event channels required for other
# > things.
#
# **Predict.** The "theoretical maximum" is the whole port space divided by 4. What must
# dom0 keep for itself to bring that down to "about 180"?

# %% jupyter={"outputs_hidden": true} tags=["answer"]
print("Answer:")
print(capacity.george_text())
two = capacity.guests_per_dom0("2l", word_bits=32, per_guest=4, reserved=0)
print("without reserving anything, port 0 aside:")
print("  " + two.practical_text(), "guests")
assert two.max_ports == rows["2l", 32].max_ports and two.theoretical == 256
assert two.guests == two.theoretical - 1

# %% [markdown]
# The thread does not say what the "other things" are, so the "about 180" has to be
# reconstructed (`evtlib.studies.capacity.ASSUMPTIONS`; the sources are listed in
# `docs/sources.md`). The reconstruction printed first uses XenServer's published
# figures: a typical guest of the time, a 1-vCPU HVM guest, costs dom0 five ports
# (xenstore, vif, vbd, and the device model's ioreq and buffered-ioreq ports), and
# dom0 has "around 50-100" ports for other purposes such as physical interrupts. The
# second uses a Linux PV dom0's own ports: about seven per vCPU (the timer and debug
# VIRQs and five IPIs) plus one per physical interrupt and global VIRQ.
#
# Neither input is known for George's system, so here is the answer over the plausible
# range, not one tuned point:

# %%
spread = capacity.spread()
print(spread.text())
assert spread.low < capacity.guests_per_dom0("2l", 32, 5, 100).guests < spread.high

# %% [markdown]
# Port 0 is never usable either, which the thread's "theoretical" division ignores (the
# "without reserving anything" line above shows what it costs). Both reconstructions
# land near the thread's "180 or so" and the plausible range is wide; they are
# illustrations, not George's own numbers. The calculator's split of XenServer's 100
# other ports into dom0 vCPUs and interrupts is illustrative too:

# %%
dom0 = capacity.dom0_reserved(vcpus=4, irqs=72)
print(dom0.text())
assert dom0.reserved == capacity.GEORGE.reserved

# %% [markdown]
# **Predict.** Keep the same assumptions (5 ports per guest, 100 reserved). How many
# guests would a 32-bit dom0 serve with 3-level? With FIFO?

# %% jupyter={"outputs_hidden": true, "source_hidden": true} tags=["answer"]
print("Answer:")
fig, guests_chart = charts.plot_guests(32, per_guest=5, reserved=dom0.reserved)
print(capacity.capacity_table(32, per_guest=5, reserved=dom0.reserved))
for name in ("2l", "fifo"):
    share = dom0.reserved / guests_chart.of(name).max_ports
    print(f"dom0's own ports are {share:.2%} of the {guests_chart.of(name).label} port space")
assert guests_chart.of("fifo").guests > 100 * guests_chart.of("2l").guests
fig

# %% [markdown]
# Either extended scheme moves the wall up by orders of magnitude for a 32-bit dom0, and
# dom0's own ports, a large share of the 2-level port space (printed above), become
# noise. On a **64-bit** dom0 the 2-level limit is already higher, and 3-level's ports
# would go further than FIFO's, but there is a second ceiling: domain IDs stop at
# `DOMID_FIRST_RESERVED` (0x7FF0), so no host runs more than 32,751 guests whatever its
# event channels allow. The capacity figures cap at it and say so:

# %%
for bits in (32, 64):
    caps = charts.guests_data(bits, per_guest=5, reserved=dom0.reserved)
    print(f"{bits}-bit dom0: " + ", ".join(
        f"{c.label} {c.guests}" + (" (domain IDs)" if c.capped else "")
        for c in caps.capacities))
c64 = charts.guests_data(64, 5, dom0.reserved)
assert c64.of("3l").guests == capacity.MAX_GUESTS < c64.of("3l").port_guests
assert c64.of("3l").guests > c64.of("fifo").guests > c64.of("2l").guests
assert c64.of("fifo").guests == guests_chart.of("fifo").guests

# %% [markdown]
# In practice the next walls were elsewhere: XenServer 6.2 (2013) special-cased its
# 32-bit dom0 to 4096 ports and then hit other per-host limits (blktap2 minor numbers).
# On the guest side, xl gives a domU `max_event_channels=1023` by default, far below
# what FIFO allows.
# And real guests often need more than four ports each: one per vCPU for an
# HVM guest's device model, two per network queue with split event channels, one per disk
# ring with multi-queue block devices. Try those in the calculator below.

# %% [markdown]
# ## 4. The calculator
#
# The controls only offer valid values: 1 to 16 dom0 ports per guest, 1 to 64 dom0 vCPUs
# (seven ports each), up to 400 physical IRQs and global VIRQs, and the dom0 word size.
# The text shows the arithmetic for every scheme; the chart redraws with it.
#
# The static version, with the reconstruction's settings (the calculator starts there):

# %%
print(capacity.calculator_text(word_bits=32, per_guest=5, vcpus=4, irqs=72))
fig, static_chart = charts.plot_guests(32, 5, dom0.reserved)
fig

# %% tags=["nbval-ignore-output"]
calculator = sw.CapacityCalculator(word_bits=32, per_guest=5, vcpus=4, irqs=72)
calculator

# %% [markdown]
# ## 5. Plain text, for a mailing list
#
# Everything above also exists as plain text of at most 72 columns, ready to paste into a
# reply (attach the charts or link to them):

# %%
mail = "\n\n".join([evtlib.limits_text(), capacity.george_text(),
                    capacity.calculator_text(32, 5, 4, 72)])
print(mail)
assert max(len(line) for line in mail.splitlines()) <= 72

# %% [markdown]
# **What to remember.** A scheme's port limit, divided by the dom0 ports each guest
# needs, after dom0's own ports are set aside, is the number of guests one dom0 can serve.
# For a 32-bit dom0 the 2-level ABI made that a few hundred; 3-level and FIFO both lift it
# by orders of magnitude. FIFO pays for its limit with four bytes of shared memory per
# port (added page by page), and keeps the same limit for 32- and 64-bit guests. What the
# schemes do to *latency* is the subject of notebooks 02 and 06.
