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
# # 03 · Three-level event channels (a reconstruction)
#
# > **This is a reconstruction of a proposal that was never merged.** Wei Liu posted
# > "3-level event channels" to xen-devel from December 2012 (V1, 31 Dec 2012) to March
# > 2013 (RFC V5). Xen 4.3 shipped without extended event channels, the series was never
# > merged, and the FIFO design (notebook 04) replaced it in Xen 4.4. Only the cover
# > letters survive in our sources; the patch bodies and the Linux side were not found.
# > The model `evtlib.ThreeLevel` fills the gaps by analogy with 2-level; section 1
# > lists each choice it makes.
#
# **The one idea.** The 2-level ABI caps a guest at W² ports because one selector word
# can name only W bitmap words. Putting one more level of selector on top, an L1 word
# whose bits name L2 words whose bits name bitmap words, multiplies the ports by W and
# keeps everything else: the same PENDING and MASK bits, the same resume scan, the same
# lack of priorities.
#
# **Who it is for.** Readers of notebook 01 (the 2-level upcall), teachers who want the
# "add a level to a bitmap tree" exercise, and reviewers who want to weigh the 3-level
# proposal against FIFO as George Dunlap's "Request for input" (27 March 2013) asked.
#
# **How to read it.** Questions come before their answers; claims are `assert`ed; every
# widget has a static figure of the same thing right before it. The drawings are the
# ones of notebook 01 (`evtlib.views.bitmap`) with one more selector column.

# %%
# %matplotlib inline
import evtlib
from evtlib.views import bitmap as bv

# %% [markdown]
# ## 1. What the model assumes
#
# From Wei Liu's cover letters (listed in `docs/sources.md`): Xen keeps a per-domain event-channel
# level; the PENDING and MASK bitmaps are shared **per domain**, in pages the guest
# registers; each vCPU gets a **second-level selector**; registration became two-phase
# by V4/V5 (first the bitmaps, then each vCPU's L2 selector); "the routines for 3-level
# evtchns are more or less the same as 2-level ones". Everything else below is the
# model's choice, by analogy with 2-level (see the docstring of `evtlib/threelevel.py`):
#
# * **Layout.** Bitmaps of W × W words of W bits (W³ ports). Per vCPU, an L1 word (the
#   old `evtchn_pending_sel`; bit `i` covers L2 word `i`) and an L2 array of W words
#   (bit `j` of L2 word `i` covers bitmap word `i·W + j`). Port `p` is bit `p % W` of
#   bitmap word `w = p // W`, which is `(l1, l2) = (w // W, w % W)`.
# * **Raise.** Test-and-set PENDING (stop if it was set); if unmasked, test-and-set the
#   L2 bit; if that was new, test-and-set the L1 bit; if that was new, set
#   `upcall_pending`. Unmask mirrors it.
# * **Guest scan.** Take L1 with one atomic exchange, then each L2 word it names with one
#   exchange each, then run the 2-level resume scan over the bitmap words in `(l1, l2)`
#   order. The start word is visited twice, the resume position is an `(l1, l2, bit)`
#   triple, and it wraps from the last bit of the last word to `(0, 0, 0)`. Scanning from
#   zero and the timer-first check work as in 2-level.

# %% [markdown]
# ## 2. Limits and memory
#
# **Predict.** How many ports does one more level buy, and what does it cost in memory
# per domain and per vCPU? The table is computed from full-size models
# (`evtlib.limits()`); FIFO is there for comparison.

# %% jupyter={"outputs_hidden": true} tags=["answer"]
print("Answer:")
print(evtlib.limits_text())

# %% jupyter={"outputs_hidden": true, "source_hidden": true} tags=["answer"]
print("Answer:")
rows = {(r.scheme, r.word_bits): r for r in evtlib.limits()}
for W in (32, 64):
    two, three = rows["2l", W], rows["3l", W]
    print(f"W={W}: 3-level/2-level: ports x{three.max_ports // two.max_ports}, "
          f"bitmaps x{three.shared_bytes // two.shared_bytes}, "
          f"selectors {three.per_vcpu_bytes} B/vCPU")
    assert three.max_ports == W ** 3 == W * two.max_ports
    assert three.shared_bytes == 2 * W ** 3 // 8          # PENDING + MASK, one bit each
    assert three.per_vcpu_bytes == (1 + W) * W // 8       # L1 word + W L2 words
    assert three.shared_pages > 1 == two.shared_pages

# %% [markdown]
# One more level multiplies ports and bitmap memory by W; each vCPU pays W extra
# selector words. For both word sizes the two bitmaps outgrow a page, so they cannot
# stay in the one-page `shared_info`: that is why the guest registers pages for them.

# %% [markdown]
# ## 3. Three levels in one picture
#
# Ports 3, 10 and 70 are the ports of notebook 01; port 4100 is beyond what a 64-bit
# 2-level guest can have. Where do they sit, and which selector bits did Xen set?

# %%
s = bv.build_model("3l", pending=(3, 10, 70, 4100), resume=(0, 0, 8))
W = s.word_bits
print(s.describe(), f"- ports 1..{s.max_ports - 1}")
for port in s.pending_ports():
    w = port // W
    print(f"port {port:>4}: word {w:>2} = (l1 {w // W}, l2 {w % W}), bit {port % W}")
l2 = {i: f"{x:#x}" for i, x in enumerate(s.l2_selector(0)) if x}
print(f"L1 = {s.selector(0):#x}, non-zero L2 words: {l2}")
assert 4100 >= evtlib.TwoLevel(word_bits=W).max_ports

# %% [markdown]
# The grid draws only the words in use (a 64-bit guest has W² of them); a grey line
# stands for the words skipped. Left of each word, two selector columns: its L1 bit
# (the same bit for every word under one L2 word) and its L2 bit.

# %%
fig, view = bv.plot_grid(s)
fig

# %% [markdown]
# ## 4. Predict: the order of one upcall
#
# The same rules as notebook 01, one level deeper. The resume position is `(0, 0, 8)`:
# word 0, bit 8. Port 10's handler raises port 10 again, once. **In which order are the
# ports delivered?** Then: is it the order 2-level gives for the ports it can hold?

# %% jupyter={"outputs_hidden": true, "source_hidden": true} tags=["answer"]
print("Answer:")
CANON3 = dict(pending=(3, 10, 70, 4100), resume=(0, 0, 8), reraise=(10,))
frames = bv.upcall_frames("3l", **CANON3)
small3 = bv.upcall_frames("3l", pending=(3, 10, 70), resume=(0, 0, 8), reraise=(10,))
small2 = bv.upcall_frames("2l", pending=(3, 10, 70), resume=(0, 8), reraise=(10,))
print(bv.delivery_table({"3-level": frames.delivered,
                         "3-level, 2-level's ports": small3.delivered,
                         "2-level": small2.delivered}))
assert small3.delivered == small2.delivered
assert [p for p in frames.delivered if p != 4100] == small2.delivered

# %% [markdown]
# The reconstruction visits bitmap words in flat order, so for ports that 2-level can
# hold it delivers in exactly 2-level's order; port 4100 simply takes its place in word
# order, after the words under L1 bit 0 and before the wrap. The deliveries:

# %%
fig, views = bv.plot_walk(frames)
fig

# %% [markdown]
# **Step through it**, as in notebook 01. Watch the selector step: one exchange takes
# L1, and one more per L2 word it names.

# %% tags=["nbval-ignore-output"]
canonical = bv.upcall_stepper(frames, title="3-level (reconstruction), W=64: one upcall",
                              css_class="evt-canonical")
canonical

# %% [markdown]
# ## 5. What the extra level costs in one upcall
#
# The models count shared-memory traffic the way the real code would: plain reads and
# writes, and atomic read-modify-writes (test-and-set, exchange). The same three ports,
# on 2-level and on 3-level (counters over the upcall only):

# %%
for name, run in (("2-level", small2), ("3-level", small3)):
    c = run.model.counters
    print(f"{name}: reads={c.reads} writes={c.writes} atomics={c.atomics} "
          f"deliveries={c.deliveries}")
assert small3.model.counters.atomics > small2.model.counters.atomics
assert small3.model.counters.deliveries == small2.model.counters.deliveries

# %% [markdown]
# Same deliveries, more atomics: each pass exchanges the L2 words as well as L1, and the
# handler's raise sets two selector bits instead of one. The extra level costs a little
# on every upcall; FIFO (notebook 04) drops the selector tree altogether.

# %% [markdown]
# ## 6. Try it yourself
#
# The explorer of notebook 01 with a third resume slider: `l1`, `l2` and `bit` are each
# 0..W-1. Ports up to W³ - 1 are valid. It starts on a 32-bit guest, with ports spread
# over several L2 words and a masked one; the static figure of that run first:

# %%
TRY3 = dict(word_bits=32, pending=(3, 10, 70, 1030, 20000), masked=(1030,), reraise=(10,),
            resume=(0, 2, 0))
tried = bv.upcall_frames("3l", **TRY3)
print(bv.delivery_table({"delivered": tried.delivered,
                         "still pending": tried.model.pending_ports()}))
assert tried.model.pending_ports() == [1030]
fig, views_try = bv.plot_walk(tried)
fig

# %% tags=["nbval-ignore-output"]
explorer = bv.UpcallExplorer("3l", **TRY3, css_class="evt-explorer-03")
explorer

# %% [markdown]
# ## 7. Plain text
#
# The state before the upcall of section 4 (`dump()`), and the steps that read words and
# deliver ports, wrapped to 72 columns:

# %%
print(frames.before.dump())
print()
print(bv.trace_text(frames, ops=("selector", "word", "wrap", "deliver")))
for text in (frames.before.dump(), frames.model.dump(), bv.trace_text(frames)):
    assert max(len(line) for line in text.splitlines()) <= 72

# %% [markdown]
# **What to remember.** The 3-level design keeps 2-level's bits and scan and adds one
# level of selectors: W times the ports, a few more atomics per upcall, the same scan
# order and the same lack of priority. That last point, and the timer special case it
# needs, is what George Dunlap's mail weighed against FIFO. Remember too that everything
# here past the cover letters is a reconstruction.
