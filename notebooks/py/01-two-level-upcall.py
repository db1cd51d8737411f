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
# # 01 · Two-level event channels: one upcall at a time
#
# **The one idea.** In the original ("2-level") ABI, Xen marks an event by setting a bit
# in a shared PENDING bitmap and a bit in a per-vCPU *selector* that names the bitmap word.
# The guest's upcall takes the whole selector at once and walks the words it names. The
# order in which ports are delivered depends on *where the walk starts* (Linux resumes
# after the last port it handled) and on *when each word is read* (once per visit). This
# notebook walks one upcall step by step, so you can see both.
#
# **Who it is for.** Teachers and students of virtualization who want to see an
# interrupt-like mechanism in shared memory, and Xen/Linux developers reviewing the scan
# (it is the baseline the March 2013 xen-devel discussion, George Dunlap's "Request for
# input: Extended event channel support", wanted to extend).
#
# **How to read it.** Questions come before the cells that answer them: try to predict.
# Every claim is checked by an `assert`. Every widget has a static figure of the same
# thing right before it, so the notebook reads fully on GitHub or as exported HTML. The
# model is `evtlib.TwoLevel` (Xen `event_2l.c`, Linux `events_2l.c`); the drawings come
# from `evtlib.views.bitmap`.

# %%
# %matplotlib inline
import evtlib
from evtlib.views import bitmap as bv

# %% [markdown]
# ## 1. Two shared bitmaps and one selector per vCPU
#
# A guest shares three things with Xen (Xen's `public/xen.h`):
#
# * **PENDING** and **MASK**: two bitmaps of W words of W bits in `shared_info`, one
#   per guest. W is the width of `xen_ulong_t`: 32 bits for a 32-bit x86 guest, 64 for a
#   64-bit one. Port `p` is bit `p % W` of word `p // W`. Port 0 is never used.
# * **`evtchn_pending_sel`**, the selector: one W-bit word per vCPU, where bit `w`
#   means "word `w` of PENDING may hold an unmasked pending port for this vCPU".
# * **`evtchn_upcall_pending`**: one byte per vCPU. Xen sets it when it sets a new
#   selector bit, and kicks the vCPU into its upcall handler.
#
# Xen has raised ports 3, 10 and 70 on a 64-bit guest. Where do they sit?

# %%
s = bv.build_model("2l", pending=(3, 10, 70), resume=(0, 8))
W = s.word_bits
print(s.describe(), f"- ports 1..{s.max_ports - 1}")
for port in s.pending_ports():
    print(f"port {port:>2}: word {port // W}, bit {port % W}")
assert s.max_ports == W * W

# %% [markdown]
# The grid below is the whole bitmap: one row per word, one column per bit. A cell's
# colour is that port's PENDING and MASK bits together. The column on the left is the
# selector: its bit `w` sits next to word `w`. The green bar marks the *resume position*,
# where Linux will start looking (section 2).

# %%
fig, view = bv.plot_grid(s, rows="all", cell=0.075)
fig

# %% [markdown]
# The same three ports on a 32-bit guest fall into other words, because each word has
# fewer bits (and the whole bitmap holds fewer ports):

# %%
s32 = bv.build_model("2l", pending=(3, 10, 70), resume=(0, 8), word_bits=32)
print(s32.describe(), f"- ports 1..{s32.max_ports - 1}")
print("port 70:", f"word {70 // s32.word_bits}, bit {70 % s32.word_bits}")
assert s32.max_ports == s32.word_bits ** 2 and s32.max_ports < s.max_ports
fig, view32 = bv.plot_grid(s32, rows="all", cell=0.11)
fig

# %% [markdown]
# **How the bits got there.** Xen's raise (`evtchn_2l_set_pending`) is three steps:
# test-and-set PENDING, and stop if it was already set; if the port is not masked,
# test-and-set its word's selector bit; if that bit was new, set `upcall_pending` and kick
# the vCPU. So a masked port gets only its PENDING bit, and raising a port that is still
# pending changes nothing at all. The model records each step with a sentence:

# %%
x = evtlib.TwoLevel()
x.record()
x.mask(70)
for port in (3, 10, 70, 3):
    x.set_pending(port)
print(bv.trace_text(x.steps))
assert x.selector(0) == 0b1 and x.is_pending(70)

# %% [markdown]
# ## 2. Predict: the order of one upcall
#
# When Xen enters the upcall handler, Linux (`__xen_evtchn_do_upcall`) clears
# `upcall_pending`, then runs the scan, and repeats while Xen has set the flag again.
# The scan (`evtchn_2l_handle_events`) takes the whole selector with one atomic
# exchange, then visits the words it names, in increasing order, starting at the
# **resume position**: the word and bit just after the last port this CPU handled, kept
# from one upcall to the next. Two more rules matter:
#
# * A word's active bits (pending, unmasked, bound to this CPU) are read **once per
#   visit**, then scanned from the start bit upward.
# * The start word is visited **twice**: first from the resume bit up; then, after the
#   scan wraps past the last word, again **from bit 0**.
#
# Delivering a port means: the ack clears its PENDING bit, then its handler runs. So a
# handler that raises its own port again makes a fresh PENDING edge.
#
# **Predict.** The state is the one drawn above: W = 64, ports 3, 10 and 70 pending,
# resume position (0, 8). Port 10's handler raises port 10 again, once. In which order
# does this upcall deliver the ports? Write your answer down, then run the next cell.

# %% jupyter={"outputs_hidden": true, "source_hidden": true} tags=["answer"]
print("Answer:")
CANON = dict(pending=(3, 10, 70), resume=(0, 8), reraise=(10,))
frames = bv.upcall_frames("2l", **CANON)
print(bv.delivery_table({"delivered": frames.delivered}))
assert frames.delivered == [10, 70, 3, 10]

# %% [markdown]
# Read the order above against the rules. The scan starts in word 0 at bit 8, so the
# first port is the one above the resume bit, not the lowest one. Word 1 comes next.
# Then the scan wraps and comes back to word 0 for its second visit, which starts at bit
# 0: it finds the port below the resume bit, and also port 10 again, because the
# handler raised it while word 0 was waiting for that second visit. Port 10 is delivered
# twice in one pass.
#
# The figure shows the state at each delivery: the black box is the port being
# delivered (already cleared by the ack), the yellow frame the word being read, and the
# selector column now shows the guest's *local copy* of the selector (dark orange when Xen
# has set the real bit again meanwhile).

# %%
fig, views = bv.plot_walk(frames)
fig

# %% [markdown]
# **Step through it.** The same upcall, one recorded step at a time, with the model's
# sentence for each step. Use ◀/▶, the slider (arrow keys work), *play*, or *go to*.

# %% tags=["nbval-ignore-output"]
canonical = bv.upcall_stepper(frames, title="2-level, W=64: one upcall",
                              css_class="evt-canonical")
canonical

# %% [markdown]
# The resume position moved with every delivery; the next upcall will start after the
# last port handled:

# %%
print("resume position before:", frames.before.resume_position(0))
print("resume position after: ", frames.model.resume_position(0))
last = frames.delivered[-1]
assert frames.model.resume_position(0) == (last // W, last % W + 1)

# %% [markdown]
# ## 3. The same state, scanned from zero
#
# Before the resume scan (Linux ≈3.0), the pvops upcall scanned **from zero**: take the
# lowest selected word, deliver its lowest active port, and *re-read the word after every
# port*. George Dunlap's mail tells the story: "scans for events always started at 0 and
# went upwards. However, this was not very scalable, as lower-numbered events could
# easily completely lock out higher-numbered events", so "the implementation was
# tweaked, so that scans don't start at 0, but continue where the last event left off".
#
# The model runs the old policy inside the same modern upcall loop, so the scan policy
# is the only difference. **Predict** the order for the same state and handler.

# %% jupyter={"outputs_hidden": true, "source_hidden": true} tags=["answer"]
print("Answer:")
zero = bv.upcall_frames("2l", **CANON, scan="from-zero")
print(bv.delivery_table({"resume": frames.delivered, "from-zero": zero.delivered}))
assert zero.delivered[0] == min(CANON["pending"])
assert zero.delivered.index(10, 2) < zero.delivered.index(70)

# %% [markdown]
# From zero, the lowest port goes first, and the re-raised port 10 comes straight back,
# ahead of port 70 in the next word: the word is re-read after each port. A low port
# that keeps being raised delays every port above it; that is the unfairness the
# resume scan was written to fix (Xen bug #1115, "Event channel port scanning unfair").

# %%
fig, views_zero = bv.plot_walk(zero)
fig

# %% [markdown]
# ## 4. One snapshot per visit: a handler masks a later port
#
# Ports 5 and 9 are pending in word 0 and the scan starts at (0, 0). Port 5's handler
# masks port 9 (with `mask_evtchn`, as a driver shutting a device down might). **Does
# port 9's handler still run?** Think about when each policy reads word 0.

# %%
SUBTLE = dict(pending=(5, 9), resume=(0, 0), masks={5: 9})
snap = bv.upcall_frames("2l", **SUBTLE)
reread = bv.upcall_frames("2l", **SUBTLE, scan="from-zero")
print(bv.delivery_table({"resume": snap.delivered, "from-zero": reread.delivered}))
assert 9 in snap.delivered and 9 not in reread.delivered
assert reread.model.is_pending(9) and reread.model.is_masked(9)
assert snap.model.is_masked(9) and not snap.model.is_pending(9)

# %% [markdown]
# The resume scan read word 0 once, before port 5's handler ran, so port 9 was still in
# its snapshot and was delivered although it was masked by then. The scan from zero
# re-read the word, saw the mask and left port 9 pending and masked; an unmask will
# re-raise it later. (In Linux, a port in the snapshot is still passed to
# `handle_irq_for_port`; its handler runs if the mask came from `mask_evtchn`, not from
# `disable_irq`.) The end states side by side:

# %%
fig, views_end = bv.plot_grids([snap[-1], reread[-1]],
                               titles=["resume: after the upcall", "from zero: after the upcall"])
fig

# %% [markdown]
# ## 5. Try it yourself
#
# Set the state and step through the upcall. The word size, scan policy and resume
# position only offer valid values; typed port lists are checked, and a bad one shows a
# message (the last good run stays on screen). *Re-raised once* ports raise themselves
# again on their first delivery; *handler masks* `a:b` means port `a`'s handler masks
# port `b`; ports *bound to vCPU 1* (Xen and Linux both) are skipped by vCPU 0's scan.
#
# The explorer starts on a 32-bit guest with a masked port and a port bound to vCPU 1.
# The static figure of that starting run, then the explorer:

# %%
TRY = dict(word_bits=32, pending=(3, 5, 10, 40, 70), masked=(40,), elsewhere=(5,),
           reraise=(10,), resume=(0, 8))
tried = bv.upcall_frames("2l", **TRY)
print(bv.delivery_table({"delivered": tried.delivered, "still pending": tried.model.pending_ports()}))
assert set(tried.model.pending_ports()) == set(TRY["masked"]) | set(TRY["elsewhere"])
fig, views_try = bv.plot_walk(tried)
fig

# %% tags=["nbval-ignore-output"]
explorer = bv.UpcallExplorer("2l", **TRY, css_class="evt-explorer-01")
explorer

# %% [markdown]
# ## 6. Plain text, for a mailing list
#
# Kernel and Xen reviewers read plain text. `dump()` prints a model's state; `trace_text`
# prints an upcall's steps, wrapped to 72 columns. The state before the canonical upcall,
# then the steps that read words and deliver ports:

# %%
print(frames.before.dump())
print()
trace = bv.trace_text(frames, ops=("word", "wrap", "deliver"))
print(trace)
for text in (frames.before.dump(), frames.model.dump(), bv.trace_text(frames)):
    assert max(len(line) for line in text.splitlines()) <= 72

# %% [markdown]
# **What to remember.** The 2-level upcall delivers in *scan order*, not in raise order:
# it resumes after the last port handled, visits the start word twice, and reads each
# word once per visit. Each of these is visible in one upcall of three ports. Notebook 03
# adds a third level of selector on top of the same scan.
