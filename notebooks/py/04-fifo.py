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
# # 04 · FIFO event channels: linked queues, one per priority
#
# **The one idea.** In the FIFO ABI every port has a 32-bit *event word* in guest
# memory, and Xen *links* each raised event onto the tail of a queue, one queue per
# priority per vCPU. Linux takes one event at a time from the highest-priority queue
# that is ready. So events are delivered in raise order within a priority, and strictly
# by priority across queues.
#
# **Who it is for.** Teachers and students of virtualization who want to see a
# lock-free producer/consumer protocol in shared memory work, and Xen/Linux developers
# who review the design and its corner cases (the stale HEAD, the old-tail rule,
# masking).
#
# **History.** On 27 March 2013 George Dunlap asked xen-devel whether Xen 4.3 should take
# Wei Liu's 3-level event channels, which were nearly ready, or wait for David Vrabel's
# design, "based on queues of linked lists", which was then a draft prototype. Xen 4.3
# shipped with neither, and the 3-level patches were never merged. Vrabel's design went
# through drafts A to H, was merged into Xen in October 2013 and first shipped in Xen 4.4
# (March 2014); the Linux guest side arrived in Linux 3.14. Review
# found races that were fixed before the release. Three of them shape what you see
# below: the BUSY bit (Xen commit `dae2a1c5f9`), "only set READY for new heads"
# (`70ccddb14a`) and "don't corrupt queues if an old tail is linked" (`e33d4257fc`).
#
# **How to read it.** Every claim is checked by an `assert` in a code cell. Where it
# helps, a question comes first and the next cell answers it: try to predict. Every
# widget has a static figure or table of the same thing right before it, so the notebook
# reads fully on GitHub or as exported HTML. The model (`evtlib.Fifo`) follows Xen's
# `xen/common/event_fifo.c` and Linux's `drivers/xen/events/events_fifo.c`; the drawings
# come from `evtlib.views.fifo`.

# %%
# %matplotlib inline
from IPython.display import HTML

import evtlib
from evtlib.abi.fifo import LINK_BITS, LINK_MASK, L
from evtlib.views import fifo as fv

# %% [markdown]
# ## 1. The event word
#
# Each port owns one 32-bit word in the *event array*, pages that the guest hands to Xen.
# Four flag bits and a link field:
#
# * **P** (pending, bit 31): Xen sets it when it raises the port; the guest clears it when
#   it acknowledges the event.
# * **M** (masked, bit 30): set and cleared by the guest; Xen clears it on an
#   `EVTCHNOP_unmask` hypercall.
# * **L** (linked, bit 29): Xen sets it when it puts the event on a queue; the guest clears
#   it when it takes the event off.
# * **B** (busy, bit 28): Xen sets it only while it retries a LINK update that races with
#   the guest. The model runs one thing at a time, so B always reads 0 here.
# * **LINK** (bits 16 to 0): the next port in the queue; 0 ends the list (port 0 is never
#   used, so it is free to mean "none").
#
# Xen raises port 5, then port 3, on a fresh model. Which bits of port 5's word are set
# now, and what does its LINK hold? The figure answers:

# %%
s = evtlib.Fifo()
for port in (5, 3):
    s.set_pending(port)
fig, word_drawing = fv.plot_event_word(s.event_word(5), port=5)
fig

# %% [markdown]
# The same word as a table, and the word of port 3, the last in the queue:

# %%
HTML(fv.event_word_html(s.event_word(5), port=5) + "<br>"
     + fv.event_word_html(s.event_word(3), port=3))

# %%
assert fv.decode_word(s.event_word(5)) == {"P": 1, "M": 0, "L": 1, "B": 0, "LINK": 3}
assert fv.decode_word(s.event_word(3)) == {"P": 1, "M": 0, "L": 1, "B": 0, "LINK": 0}
labels = {name: (hi, lo) for name, hi, lo in word_drawing.labels}
assert labels["P"] == (31, 31) and labels["M"] == (30, 30) and labels["L"] == (29, 29)
assert labels["B"] == (28, 28) and labels["LINK"] == (16, 0)
print(f"LINK has {LINK_BITS} bits: ports 1..{s.max_ports - 1}, "
      f"for 32-bit and 64-bit guests alike")

# %% [markdown]
# The printed line is the whole capacity story of FIFO: a port number must fit in
# LINK, so the port count is a power of two set by the width of that field, not by the
# guest's word size (the 2-level and 3-level bitmaps grow with the word size).
#
# ## 2. Queues: HEAD, READY, the tail, and Linux's "next"
#
# Each vCPU has 16 queues, priority 0 (highest) to 15 (lowest); a port starts at priority
# 7. Four kinds of pointer describe a queue:
#
# * **HEAD[q]** is in the per-vCPU *control block*, shared with the guest. Only Xen
#   writes it, and only when it starts a list on an empty queue.
# * **READY** is a bitmask in the control block: bit q says "queue q has a valid HEAD".
#   Xen sets bits; the guest takes the whole word with one atomic exchange.
# * **tail** is private to Xen: the last port it linked, where the next append goes.
# * **next** is private to Linux: the next event to consume on that queue, once Linux
#   has started on it (0: read HEAD instead).
#
# **Predict.** Xen raises ports 5, 3 and 7, in that order, all at the default priority.
# Then the vCPU takes its upcall. In which order does Linux deliver them? (The 2-level
# ABI would scan its bitmap in port order.)

# %% jupyter={"outputs_hidden": true} tags=["answer"]
print("Answer:")
fifo_order = fv.PRESETS["FIFO order"]
before = fv.run_script(fifo_order[:-1]).model
fig, queue_drawing = fv.plot_queues(before, title="queue 7 after raise 5, raise 3, raise 7")
fig

# %% [markdown]
# The drawing is the answer: the arrows are the LINK fields, in raise order. HEAD and
# READY were set once, by the first raise; the tail is where Xen will append next.
# The figure was drawn from the model's words, and the cell below checks that its arrows
# are exactly the model's links. Then the upcall:

# %% jupyter={"outputs_hidden": true, "source_hidden": true} tags=["answer"]
print("Answer:")
links = [(a, before.event_word(a) & LINK_MASK) for a in before.queue(0, 7)[:-1]]
assert [(a, b) for q, a, b in queue_drawing.arrows] == links
assert set(queue_drawing.pointers) == {(7, "HEAD", 5), (7, "tail", 7)}

run = fv.run_script(fifo_order)
print("delivered:", *run.delivered)
assert run.delivered == (5, 3, 7)      # raise order, not port order

# %% [markdown]
# ## 3. Step by step
#
# Below, every step the model records while it runs `raise 5`, `raise 3`, `raise 7`,
# `upcall`, with the model's own one-sentence reason and the queues after the step
# (the table is the static copy of the stepper that follows).

# %%
HTML(fv.frames_table_html(run.frames))

# %% [markdown]
# The stepper shows the same steps, drawn: boxes are linked events (with their P, M, L,
# B flags), arrows their LINKs, dashed boxes are pointers to ports that are no longer
# on the queue. The changed port is highlighted. Use back/forward, the slider, or play.

# %% tags=["nbval-ignore-output"]
walk = fv.fifo_stepper(run.frames, title="raise 5, 3, 7, then an upcall",
                       css_class="evt-fifo-walk")
walk

# %% [markdown]
# ## 4. READY only for a new HEAD
#
# Look at the steps of each raise in the table: only the first one writes HEAD, sets
# READY and sets the vCPU's `upcall_pending` flag (which makes Xen kick the vCPU). The
# other two only write LINK into the old tail: an append raises no upcall, because the
# consumer is bound to reach the new event by following the links. Xen once set READY
# for every link; that raced with a guest emptying the queue, which could then follow a
# stale HEAD (fixed by `70ccddb14a` before Xen 4.4).

# %%
for line in (1, 2, 3):
    print(fv.format_action(run.script[line - 1]), "->", " ".join(run.ops_of(line)))
assert run.ops_of(1) == ["raise", "head", "tail", "ready", "upcall-flag"]
assert run.ops_of(2) == run.ops_of(3) == ["raise", "link", "tail"]

# %% [markdown]
# ## 5. HEAD is never cleared
#
# After the upcall the queue is empty, yet HEAD[7] still names the first port and Xen's
# tail still names the last: nobody clears them (dashed boxes). Linux ignores HEAD
# unless READY says it is valid, and Xen finds out that its tail was consumed from the
# tail's word, whose L bit the guest cleared.

# %%
after = run.model
fig, _ = fv.plot_queues(after, title="after the upcall: empty queue, stale HEAD and tail")
fig

# %%
print("HEAD[7] =", after.head(0, 7), " tail =", after.tail(0, 7),
      " queue =", after.queue(0, 7))
assert after.queue(0, 7) == [] and after.head(0, 7) == 5 and after.tail(0, 7) == 7
assert not after.event_word(7) & L   # the tail is no longer linked

# %% [markdown]
# So the next raise must not append to the old tail. Xen tries to: its LINK update
# (a compare-and-exchange) succeeds only while the tail's word still has L set. Here it
# fails, so Xen starts a new list: a fresh HEAD, READY, an upcall. The steps of
# `raise 5; upcall; raise 3; raise 7`, from the third action on:

# %%
fresh = fv.run_script(fv.PRESETS["new HEAD after consumption"])
print(fv.trace_text(fresh.frames_of(3) + fresh.frames_of(4)))
assert fresh.ops_of(3) == ["raise", "link-fail", "head", "tail", "ready", "upcall-flag"]
assert fresh.ops_of(4) == ["raise", "link", "tail"]

# %% [markdown]
# ## 6. Priorities: preemption per event, no round robin
#
# **Predict.** Port 4 gets priority 12 and is raised first. Then ports 5 and 6 are raised
# at the default priority 7. When Linux delivers port 5, its handler raises port 9, which
# has priority 0, the highest. In which order are the four ports delivered?

# %%
preempt = fv.run_script(fv.PRESETS["priority preemption"])
print(fv.format_script(preempt.script))
fig, _ = fv.plot_queues(preempt.after(5), title="before the upcall")
fig

# %% jupyter={"outputs_hidden": true, "source_hidden": true} tags=["answer"]
print("Answer:")
print("delivered:", *preempt.delivered)
assert preempt.delivered == (5, 9, 6, 4)

# %% [markdown]
# Linux consumes **one event per iteration** and re-reads READY after each one, so
# port 9, raised by a handler in the middle of queue 7, is consumed right after that
# handler returns: preemption happens at event granularity. And there is **no round
# robin** between priorities: port 4 was raised first but waits until every higher queue
# is empty. The consumer's side of the upcall:

# %%
upcall_steps = preempt.frames[preempt.after(5).index + 1:]
print(fv.trace_text(fv.ops(upcall_steps, "dequeue", "deliver", "head")))
taken = [f.step.where[1] for f in fv.ops(preempt.frames, "dequeue")]
print("queues in consume order:", *taken)
assert taken == [7, 0, 7, 12]

# %% [markdown]
# While port 5's handler runs, Linux holds "next = 6" in a local variable (it stores its
# private next pointer only after the handler returns); the drawings show that local
# value as **next**. Here is the moment port 9 is linked on queue 0:

# %%
linked9 = fv.ops(preempt.frames, "upcall-flag")[-1]
fig, _ = fv.plot_queues(linked9, title="inside port 5's handler, after raise 9")
fig

# %% [markdown]
# ## 7. The old-tail rule (Xen commit `e33d4257fc`)
#
# Port 5 is alone on queue 7, and its handler raises port 5 again. When the handler runs,
# port 5 has been dequeued (L cleared) but is still Xen's **tail** of queue 7. The raise
# sets L on port 5 again, so without a special case Xen would find a *linked* tail and
# append to it: LINK of port 5 := 5, a queue that loops on itself. (When the port has
# moved to another queue meanwhile, the same append would corrupt that other queue.)
#
# The rule: when Xen links a port, it first checks the queue where that port was last
# linked; if the port is still that queue's tail, Xen resets the tail to 0. The queue is
# empty, so port 5 gets a **fresh HEAD and READY**, and the upcall delivers it again in
# the same pass.
#
# **A correction: this case is not the bug `e33d4257fc` fixed.** The first FIFO code
# (`88910061ec`) already handled a port re-raised alone on the queue whose tail it still
# is: it appends only when `port != q->tail`. The fix, "don't corrupt queues if an old
# tail is linked", is for two races that a sequential model cannot show: an old tail
# re-added on one CPU while another CPU raises a different event on the same queue, and
# an old tail moved to another queue (priority or vCPU) and linked there before an event
# is raised on its old queue. Notebook 07 replays both, with and without the fix.

# %%
old_tail = fv.run_script(fv.PRESETS["old tail re-raised"])
print(fv.trace_text(old_tail.frames_of(2)))
print("delivered:", *old_tail.delivered)
assert old_tail.ops_of(2) == ["raise", "old-tail", "head", "tail", "ready", "upcall-flag"]
assert old_tail.delivered == (5, 5)
assert not old_tail.model.event_word(5) & LINK_MASK   # no self-link was ever written

# %% [markdown]
# ## 8. Masked events
#
# **Masked when raised.** Xen sets P but does not link the event: no queue, no READY,
# no upcall. The edge is kept in P. When the guest unmasks a port that is pending, it
# makes the `EVTCHNOP_unmask` hypercall, and Xen links it then. Unmasking a port that is
# *not* pending is local: the guest clears M itself, no hypercall. The script:

# %%
masked = fv.run_script(fv.PRESETS["masked event"])
for line, action in enumerate(masked.script, 1):
    print(f"{line}  {fv.format_action(action):<10} ->", " ".join(masked.ops_of(line)))

# %%
print("port 5 after the raise:", fv.decode_word(masked.after(2).word(5)))
print("delivered by each upcall:", masked.upcalls)
assert fv.decode_word(masked.after(2).word(5)) == {"P": 1, "M": 1, "L": 0, "B": 0, "LINK": 0}
assert masked.upcalls == ((), (5,))         # nothing until unmask, then port 5
assert "hypercall" in masked.ops_of(4)      # pending: unmask by hypercall, Xen links it
assert masked.ops_of(7) == ["unmask"]       # not pending: local, no hypercall

# %% [markdown]
# **Masked while linked.** The guest may set M on an event that is already on a queue.
# Linux still dequeues it in turn, sees M, and skips it: it stays pending and masked, and
# the unmask hypercall links it again. (A linked event whose P was cleared is dropped the
# same way.)

# %%
linked_mask = fv.run_script(fv.PRESETS["masked while linked"])
print(fv.trace_text(fv.ops(linked_mask.frames, "skip", "deliver", "hypercall")))
assert linked_mask.upcalls == ((3,), (5,))
cleared = fv.run_script(fv.PRESETS["cleared while linked"])
assert cleared.upcalls == ((3,),) and fv.ops(cleared.frames, "skip", port=5)

# %% [markdown]
# ## 9. A priority change affects only the next link
#
# `EVTCHNOP_set_priority` changes which queue the port's *next* link goes to. An event
# already on a queue stays there. Ports 6 and 5 are linked on queue 7, then port 5 gets
# priority 0:

# %%
change = fv.run_script(fv.PRESETS["priority change"])
print(fv.format_script(change.script))
fig, _ = fv.plot_queues(change.after(3), title="after priority 5 0: port 5 is still on queue 7")
fig

# %%
print("delivered by each upcall:", change.upcalls)
assert fv.queue_view(change.after(3), 0, 7).ports == (6, 5)
assert change.upcalls == ((6, 5), (5, 6))   # first still FIFO; then port 5 goes first
assert "old-tail" in change.ops_of(5)      # port 5 was queue 7's tail: reset it first

# %% [markdown]
# The second raise of port 5 is the other case of the old-tail rule: port 5 moves to
# queue 0 while it is still the (consumed) tail of queue 7, so Xen resets queue 7's tail;
# the raise of port 6 then starts a fresh list on queue 7 instead of writing LINK into
# port 5's word on queue 0.
#
# ## 10. Explore
#
# The scenarios above, with what each upcall delivers and how many steps the model
# records (a static table; the explorer below steps through any of them):

# %%
HTML(fv.presets_table_html())

# %% [markdown]
# The explorer starts on the first scenario, "FIFO order", at its first step: its static
# copies are the drawing of queue 7 in section 2 and the step table of section 3.
#
# Pick a scenario, or build your own script with the controls: choose an action, a port
# and, for `priority`, a priority, then **add**. The boxes accept only valid values
# (ports up to the limit printed in section 1, priorities 0 to 15). `on ... raise`
# adds a handler rule: the next time that port is delivered, its handler raises the
# other port. **undo** drops the last action, **clear** empties the script. Then step.

# %% tags=["nbval-ignore-output"]
explorer = fv.FifoExplorer()
explorer

# %% [markdown]
# ## 11. Plain text for mailing lists
#
# Design discussion happens on mailing lists, in plain text. `s.dump()` prints the whole
# state in at most 72 columns, and `fv.trace_text` prints steps the same way. Here, the
# preemption scenario just before its upcall:

# %%
pre = fv.run_script(fv.PRESETS["priority preemption"][:-1])
print(pre.model.dump())

# %%
print(fv.trace_text(pre.frames_of(4) + pre.frames_of(5)))
text = pre.model.dump() + "\n" + fv.trace_text(pre.frames)
assert max(len(line) for line in text.splitlines()) <= 72

# %% [markdown]
# ## What to take away
#
# * The event word holds P, M, L, B and a 17-bit LINK; LINK's width sets the port limit.
# * Within a priority, delivery follows raise order; across priorities, strictly the
#   highest ready queue first, re-checked after every event.
# * Only a new HEAD sets READY and raises an upcall; appends only write LINK.
# * HEAD and Xen's tail go stale after consumption; Xen checks L before appending, and
#   the old-tail rule resets a tail that is being re-linked.
# * Masked events keep their edge in P and are linked at unmask; unmasking a non-pending
#   port needs no hypercall.
# * A priority change waits for the next link.
#
# Start from `00-quickstart` for the API, and compare with the 2-level and 3-level
# notebooks, where order comes from a bitmap scan instead of a queue.
