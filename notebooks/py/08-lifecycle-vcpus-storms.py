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
# # 08 · Lifecycle, many vCPUs, event storms
#
# **The one idea.** The other notebooks take a guest that is already running FIFO, on
# one vCPU, with well-behaved senders. Real bugs live where those assumptions break:
# when a guest **switches** to FIFO with events pending and its event array **grows**
# page by page; when ports move between **vCPUs**; and when another guest **floods** a
# backend. Each part shows what Xen and Linux really do, from their code.
#
# **Who it is for.** Xen maintainers and reviewers who know the ABIs and want to see
# the edges; students who have done notebooks 01 to 07.
#
# **How to read it.** Three parts, each with a question to predict (the answer is the
# next cell, folded), a static figure or table, and a widget. Every widget has a static
# figure or table of the same thing just before it, so the notebook reads fully on
# GitHub or as exported HTML. Numbers in the prose come from the cells above them;
# claims are checked by `assert`. Sources: `docs/sources.md`.

# %%
# %matplotlib inline
from IPython.display import HTML

import evtlib
from evtlib.studies import lifecycle as lc, storm as st
from evtlib.views import lifecycle as lv, storm as sv

SEED = 2013

# %% [markdown]
# ## Part 1 · Switching to FIFO, page by page
#
# A guest starts on the 2-level ABI. Its first `EVTCHNOP_init_control` switches the
# domain to FIFO. Xen's public header warns, on `init_control`, that "any events that
# are currently pending will not be resent and will be lost". Xen's code
# (`evtchn_fifo_init_control` then `setup_ports`) does something else: every port
# pending in the old 2-level bitmap gets a **Xen-private pending flag**, and every
# priority goes back to 7. The new event array has **no page** yet.
#
# Linux then sets each port up again: `evtchn_fifo_setup` adds event-array pages with
# `EVTCHNOP_expand_array`, one 4 KiB page (1024 ports) at a time, masking every word of
# a new page first; the port is unmasked when its irq starts. Adding a page makes Xen
# re-raise the flagged ports on it (Xen commit `917c123029`, 2013).
#
# The guest below has ports 3, 700, 1500 and 4000 pending at the switch; Linux binds
# them again in the order 3, 1500, 700, 4000.

# %%
growth = lc.page_growth((1, 700, 1024, 1500, 2100, 4000))
print("port bound -> pages:", ", ".join(f"{p}->{n}" for p, n in growth))
print("memory after the last:", growth[-1][1] * 4, "KiB")

# %% [markdown]
# **Predict.** After the switch, which of the four pending events does the guest get,
# and when: all at once, one per bind, or none? Which port waits although its page is
# there?

# %% jupyter={"outputs_hidden": true} tags=["answer"]
print("Answer:")
actual, documented = lc.switch_story("keep"), lc.switch_story("drop")
print(lv.switch_text(actual, documented))
assert lc.delivered_by_switch(actual) == lc.CARRIED[:1] + (1500, 700, 4000)
assert lc.delivered_by_switch(documented) == ()

# %% [markdown]
# Each carried event arrives with the bind that sets its port up, not with its page:
# port 700's page comes with the bind of 3 (700 leaves Xen's flags there: it is
# re-raised into its word), but that word is masked until Linux binds 700 itself. Under the
# documented behaviour, nothing arrives at all.
#
# The same holds for a port raised **before its page exists** in a guest already on
# FIFO: the toolstack bound it and the other end sent before the guest bound it.

# %%
print("kept since 917c123029:", lc.early_raise("keep"))
print("before it:            ", lc.early_raise("drop"))

# %% [markdown]
# The figure: on the left, the pages present as Linux binds ports; on the right, the
# switch story, with the ports each step delivers (in red).

# %%
fig, _ = lv.plot_pages(growth, actual)
fig

# %% [markdown]
# **Explore.** Choose the documented or the actual behaviour and step through the binds.

# %% tags=["nbval-ignore-output"]
lv.SwitchExplorer()

# %% [markdown]
# ## Part 2 · Four vCPUs
#
# Four vCPUs, each with its own timer (ports 1 to 4) and, in FIFO, its own queues.
# Linux moves a port to another vCPU with `xen_rebind_evtchn_to_cpu`: **mask**,
# `EVTCHNOP_bind_vcpu`, move its own binding, **unmask**. Two things can go wrong:
#
# * the port was still **linked** on the old vCPU's queue when it moved;
# * Xen's notify vCPU and Linux's CPU **disagree** (a 2-level scan only looks at ports
#   bound to its own CPU).
#
# **Predict.** Port 10 and port 11 are linked on vCPU 0's queue; Linux moves port 10
# to vCPU 2. Which vCPU delivers port 10 next? And in the 2-level mismatch, who
# delivers port 10, ever?

# %% jupyter={"outputs_hidden": true} tags=["answer"]
print("Answer:")
for name in lc.SCENARIOS:
    last = lc.vcpu_frames(name)[-1]
    print(f"{name}:")
    print(lv.vcpu_text(last))
    print()

# %% [markdown]
# In the first case the event keeps its place in vCPU 0's queue (its word is still
# LINKED), so vCPU 0 delivers it once more after the move; only the next raise goes to
# vCPU 2. In the 2-level mismatch vCPU 2 is notified but skips the port, and vCPU 0 is
# never notified: the edge is lost until Linux masks and unmasks the port on its own CPU.
# FIFO has no per-CPU filter, so the same mismatch loses nothing there. The figure
# shows, for each scenario, which vCPU delivered which port at which step; at step 1
# every vCPU delivers its own timer.

# %%
fig, got = lv.plot_vcpus({name: lc.vcpu_frames(name) for name in lc.SCENARIOS})
rebind, lost = got["rebind while linked (FIFO)"], got["Xen/Linux mismatch (2-level)"]
assert all(got_v[0] == (1, v + 1) for v, got_v in rebind.items())   # own timers
assert rebind[0][1] == (5, 10) and rebind[2][1:] == ((7, 10),)
assert lost[2][1:] == () and lost[0][1:] == ((7, 10),)
fig

# %% [markdown]
# **Explore.** Pick a scenario and move the step slider: the sentence says what
# happens at that step; the table shows each vCPU's timer, upcall flag, waiting ports
# and deliveries.

# %% tags=["nbval-ignore-output"]
lv.VcpuExplorer()

# %% [markdown]
# ## Part 3 · A hostile frontend floods a backend
#
# Notebook 02's flood was the 2013 problem: one busy port starving the others under a
# scan policy. The modern problem is a **hostile** guest: a frontend raising its
# backend's port as fast as it can, for free. Linux's answer (XSA-332, 2020) has two
# parts:
#
# * **late EOI**: the backend binds the port with the *lateeoi* chip. The ack masks the
#   port, and only the backend's EOI, once the work is done, unmasks it: raises in
#   between merge into one pending event;
# * **loop control**: the upcall counts its events; every 256 events it reads the time,
#   and once past its deadline (2 jiffies) EOIs made inside the upcall are deferred by
#   10 jiffies, keeping the storming ports masked so that the loop ends.
#
# The backend vCPU serves 16 ordinary guests (4 ports each) and its timer (every 10
# ticks). The frontend raises once a tick; the handler takes a tick and the work 8
# more. A tick is one handler, taken as 100 µs, so a jiffy (HZ=1000) is 10 ticks.

# %% [markdown]
# **Predict.** With plain edge handling, how long does one upcall last? With late EOI,
# how many deliveries of the hostile port does the backend take in 2000 ticks?

# %% jupyter={"outputs_hidden": true} tags=["answer"]
print("Answer:")
one = st.run_storm(SEED, schemes=("fifo",))
print(sv.storm_text(one))
edge, late = one.row("fifo / edge"), one.row("fifo / lateeoi")
assert edge.longest_upcall >= one.ticks and edge.upcalls == 1
assert late.backend_deliveries <= one.ticks // (1 + one.work) + 1

# %% [markdown]
# With plain edge handling the backend's vCPU never leaves its upcall: every raise is a
# new edge. With late EOI the hostile port gets one delivery per piece of work, and the
# upcalls are short. One hostile frontend does not reach the loop control's 256 events.
# Many do:

# %%
many = st.run_storm(SEED, schemes=("fifo",), frontends=64)
print(sv.storm_text(many))
assert many.row("fifo / lateeoi+ctrl").deferring_upcalls > 0
assert (many.row("fifo / lateeoi+ctrl").longest_upcall
        < many.row("fifo / lateeoi").longest_upcall)

# %% [markdown]
# **Predict.** And in 2013, without late EOI? Replay the single hostile frontend on
# 2-level scan-from-zero (the original pvops loop), 2-level resume, and FIFO. Whose
# worst wait suffers, and does late EOI fix it for all three?

# %% jupyter={"outputs_hidden": true} tags=["answer"]
print("Answer:")
old = st.run_storm(SEED, schemes=tuple(st.SCHEMES), modes=("edge", "lateeoi"))
print(sv.storm_text(old))
assert old.row("2l from-zero / edge").others_worst >= old.ticks - 50
assert all(old.row(f"{s} / lateeoi").others_worst < 20 for s in st.SCHEMES)

# %% [markdown]
# The hostile port is port 2, below every guest's port: scan-from-zero serves it first on
# every pass, so the other guests wait the whole run; resume scanning and FIFO stay fair
# but the vCPU is still stuck in one upcall. Late EOI bounds all of them. The figure
# shows the same rows.

# %%
fig, _ = sv.plot_storm(old, "one hostile frontend: edge vs late EOI")
fig

# %% [markdown]
# **Explore.** Choose the scheme and the number of hostile frontends; the three modes
# are run again (1000 ticks).

# %% tags=["nbval-ignore-output"]
sv.StormExplorer(SEED)

# %% [markdown]
# ## What to take away
#
# * The header's "will be lost" is the code before `917c123029`: Xen keeps events
#   pending at the switch, and events raised before their page exists, until the page
#   comes; Linux gets them when it unmasks the port.
# * The event array costs what is bound: one page per 1024 ports, added as ports are
#   bound (`docs/sources.md`, and notebook 05 for the arithmetic).
# * Moving a port is not atomic: a linked event is delivered once more on the old vCPU,
#   and a 2-level binding that disagrees with Xen loses the edge until mask + unmask.
# * A hostile frontend is not a scan-policy problem: late EOI and the loop control bound
#   what one guest can make a backend do.
