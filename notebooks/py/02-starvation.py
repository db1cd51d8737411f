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
# # 02 · Starvation: scan from zero, resume scanning, timer first
#
# **The one idea.** The 2-level ABI has no priorities: the only "priority" a port gets is
# where the guest's scan happens to look first. Scanning from port 0 lets a busy low port
# lock out every port above it; resuming after the last port handled removes that
# starvation, and with it any way to put the timer first, so Linux added a special case.
# George Dunlap's summary in the March 2013 xen-devel thread tells the story:
#
# > In the initial implementation of event channels, priority was handled by event
# > channel order: scans for events always started at 0 and went upwards. However, this
# > was not very scalable, as lower-numbered events could easily completely lock out
# > higher-numbered events [...] So the implementation was tweaked, so that scans don't
# > start at 0, but continue where the last event left off. This made it so that earlier
# > events were not prioritized and removed the starvation issue, but at the cost of
# > removing all event priorities. Certain events, like the timer event, are
# > special-cased to be always checked, but this is rather a bit of a hack and not very
# > scalable or flexible.
#
# Konrad Rzeszutek Wilk answered that the timer special case was "not in the upstream
# kernel at all. That would explain why on very heavily busy guest the hrtimer: interrupt
# took XXxXXXXxx ns is printed." This notebook runs one workload under the three policies
# and measures each claim.
#
# **Who it is for.** Teachers and students of virtualization (starvation and fairness in
# a real interrupt mechanism); Xen/Linux developers reviewing the scan; anyone who wants
# the thread's claims as numbers.
#
# **How to read it.** Questions come before the cells that answer them: try to predict.
# Every number in the prose is printed by a cell above it, and every claim is checked by
# an `assert`. The explorer widget at the end has a static figure and table of the same
# thing before it, so the notebook reads fully on GitHub or as exported HTML. Notebook 01
# shows the two scans one step at a time; here we look at what they do over thousands of
# events.

# %%
# %matplotlib inline
from IPython.display import HTML

from evtlib.studies import policies as pol, review as rev, starvation as starv
from evtlib.views import charts, report_html as rhtml, reports, study_widgets as sw

SEED = 2013

# %% [markdown]
# ## 1. The workload
#
# The simulator (`evtlib.sim.simulate`) raises ports on a 64-bit 2-level guest tick by
# tick; a tick is the time one handler takes. The guest runs its upcall loop whenever
# Xen flags it, and each delivery's wait (raise to handler start) is recorded.
#
# * **The flood:** port 3, in the first bitmap word, raised `flood_rate` times per tick. At
#   1 per tick it is pending again every time its handler finishes, like a device
#   interrupting as fast as its driver can serve it.
# * **The bursts:** every 100 ticks, some busy device ports (drawn at random, with the
#   seed, from a pool spread over the whole port space) go pending together, and the
#   **timer** VIRQ right after them, as after a wake-up from idle. The timer is at
#   **port 1**: Linux binds VIRQ_TIMER at boot, among its first ports, so it gets a low
#   number, below the flood.
# * **Quiet high ports:** 1000, 3000 and 4095 (the highest port a 64-bit guest has), raised
#   every 200 ticks.
#
# The three policies are the same model with one option changed (`scan="from-zero"`,
# `scan="resume"`, `timer_first=True`):

# %%
print(reports.policies_text(pol.STARVATION_POLICIES))
print()
print(reports.wrap("workload: " + starv.starvation_workload(flood_rate=1.0, busy=8).describe()))
print(f"run: {starv.STARVE_TICKS} ticks, seed {SEED}")

# %% [markdown]
# ## 2. Predict: how long does the top port wait?
#
# Port 3 is raised every tick, and 8 busy ports come with the timer every 100 ticks. The
# run lasts as many ticks as the `run:` line above says. **Under scan-from-zero, what is the worst wait of port 4095? And
# under resume scanning?** Write both down, then run the next cell.

# %% jupyter={"outputs_hidden": true, "source_hidden": true} tags=["answer"]
print("Answer:")
study = starv.run_starvation(SEED, flood_rate=1.0, busy=8)
print(reports.starvation_text(study))
top_zero, top_resume = study.of("top", "2l from-zero"), study.of("top", "2l resume")
assert top_zero > 10 * max(1, top_resume)
assert top_zero > study.ticks // 2
assert study.of("flood", "2l resume") < study.of("flood", "2l from-zero")
assert study.of("busy_worst", "2l resume") < study.of("busy_worst", "2l from-zero") // 10
# the timer's low port: scanning from zero finds it first; resume takes that away
assert study.of("timer", "2l from-zero") < study.of("timer", "2l resume")
# resume scanning serves the top port at once (true for seeds 0..9 too), and
# no port of either resume row waits longer than the starvation horizon
assert top_resume <= 1
for label in ("2l resume", "2l resume+timer"):
    assert max(study.of(w, label) for w in ("top", "timer", "busy_worst")) <= rev.HORIZON

# %% [markdown]
# From zero, port 4095 waits for most of the run (the table's first row): the scan takes
# the lowest word first and re-reads it after every port, and port 3 is pending again at
# every re-read, so the scan never leaves word 0 until the raises stop. The busy ports
# starve with it. The timer does not: at port 1, below the flood, it is the first bit
# the scan finds at every re-read of word 0. That is the priority scanning from zero
# gave low ports, the one George says resume scanning removed: under resume the timer
# waits its turn (the table's timer column). Resume scanning serves the top port at once (the asserts
# check a wait of at most one tick): after port 3 it moves on to the next pending port,
# round-robin, and comes back to port 3 only after a full round. The flood loses a little
# (fewer deliveries in the last column) and nobody else starves: no worst wait in either
# resume row exceeds the starvation horizon (`rev.HORIZON` ticks, the threshold notebook
# 06 also uses).
#
# Every port's worst wait, under each policy (the dotted lines mark the flood, the timer
# and the top port; the y axis is logarithmic, with 0 at the bottom):

# %%
fig, waits = charts.plot_port_waits(study.waits(), title=(
    f"Worst wait of each port: flood 1/tick, 8 busy ports, seed {SEED}"))
assert waits.of("2l from-zero", starv.TOP_PORT) == top_zero
# from zero, every port above the flood starves
assert min(w for w, p in zip(waits.waits[0], waits.ports) if p > starv.FLOOD_PORT) > 100
fig

# %% [markdown]
# ## 3. A cliff, not a slope
#
# **Predict.** Lower the flood to 0.9 raises per tick: port 3 now misses one tick in ten.
# Does the top port still starve under scan-from-zero?

# %% jupyter={"outputs_hidden": true, "source_hidden": true} tags=["answer"]
print("Answer:")
floods = starv.flood_sweep(SEED, busy=8)
print(charts.sweep_text(floods))
zero = floods.values("2l from-zero")
assert max(zero[:-1]) < 10 and zero[-1] > 10 * rev.HORIZON
assert max(floods.values("2l resume")) < 10
fig, _ = charts.plot_sweep(floods, title="Starvation needs the flood to win every re-read")
fig

# %% [markdown]
# Below one raise per tick the scan from zero only *delays* the high ports: the first
# tick port 3 is not pending, the inner loop finds nothing left in word 0 and moves on.
# At exactly one raise per handler time the word is never empty when re-read and the
# lockout is complete: the wait is as long as the flood lasts. This is why "lower-numbered
# events could easily completely lock out higher-numbered events": one device that keeps
# its driver busy is enough, and its port number, usually just the order in which it
# was bound ("frequently 'lower-numbered' simply meant 'created earlier'"), decides who
# starves.

# %% [markdown]
# ## 4. The price of fairness: no priorities
#
# Resume scanning treats every port alike, the timer included: it waits for its turn in
# the round like any device port. Konrad's "hrtimer: interrupt took ... ns" is printed
# by Linux's `hrtimer_interrupt()` when it falls so far behind that it gives up catching
# up; his guess (not measured in the thread) was that the timer event had waited behind
# the other events of a busy guest. The day after George's mail, Keir
# Fraser wrote the Linux patch that handles VIRQ_TIMER before the scan on every pass of
# the upcall loop (commit `bee980d9e964`, "xen/events: Handle VIRQ_TIMER before any other
# hardirq in event loop", authored 2013-03-28). Its stated motive was not resume scanning
# but a stale jiffies value: other interrupt handlers running before the timer right
# after a long idle period saw an old time (the commit's symptom was a USB keyboard's
# auto-repeat). It helps here all the same, which is what this section measures.
#
# **Predict.** With 16 busy ports going pending together with the timer, how long does
# the timer wait at worst under resume scanning? With timer-first? And how do both change
# as the bursts grow?

# %% jupyter={"outputs_hidden": true, "source_hidden": true} tags=["answer"]
print("Answer:")
timers = starv.timer_sweep(SEED, flood_rate=1.0)
print(charts.sweep_text(timers))
resume, first = timers.values("2l resume"), timers.values("2l resume+timer")
assert list(resume) == sorted(resume) and resume[-1] > 4 * resume[0]
assert max(first) == 0
# from zero, the timer's low port is found first whatever the burst
assert set(timers.values("2l from-zero")) == {0}
fig, _ = charts.plot_sweep(timers, title="The timer's worst wait as bursts grow")
fig

# %% [markdown]
# Under resume scanning the timer's worst wait grows with the size of the burst it
# arrives with: it is one port among many, and the round it waits for gets longer. With
# timer-first its worst wait is 0 ticks here, whatever the burst: the check runs before
# the scan, at the start of every pass of the upcall loop. From zero it is 0 too: port 1
# is the first bit the scan meets. A wait of 0 is not "never waits": the model's raises
# arrive at tick boundaries and a handler takes one tick, so 0 means "served as soon as
# the running handler ended". Delivery is not preemptive; a real timer interrupt that
# fires halfway through a handler waits for the rest of it.
#
# Why George called it "a bit of a hack and not very scalable or flexible":
#
# * it helps exactly one port per CPU (VIRQ_TIMER); any other urgent port (an IPI, a
#   storage interrupt) still waits for its turn in the round;
# * it only acts at the **start of a pass**. A timer raised while a long pass is running
#   waits for that pass to end. Here the passes are short when the timer arrives; notebook
#   06 shows a busier host where they are not.
#
# FIFO makes the timer's urgency a property of its port instead: Linux gives VIRQ_TIMER
# priority 0, and the guest checks the higher-priority queues after every event
# (notebooks 04 and 06).

# %% [markdown]
# ## 5. Try it yourself
#
# Change the flood rate, the number of busy ports that come with each timer tick, and the
# seed (which busy ports each burst draws). The table and the chart re-run the three
# policies. The controls only offer valid values.
#
# The static version of the explorer's starting point (flood 1 per tick, 8 busy ports,
# the notebook's seed) is the table and chart of section 2; here is the table again:

# %%
HTML(rhtml.starvation_html(study))

# %% tags=["nbval-ignore-output"]
explorer = sw.StarvationExplorer(seed=SEED, flood_rate=1.0, busy=8)
explorer

# %% [markdown]
# ## 6. Plain text, for a mailing list
#
# The tables above are plain text of at most 72 columns, ready to paste into a reply:

# %%
mail = "\n\n".join([reports.starvation_text(study), charts.sweep_text(floods),
                    charts.sweep_text(timers)])
print(mail)
assert max(len(line) for line in mail.splitlines()) <= 72

# %% [markdown]
# **What to remember.** With 2-level event channels, the scan order is the only priority.
# Scanning from zero gives low ports absolute priority (the timer's early-bound port
# among them), and one port that is always pending starves every port above it. Resuming
# where the last scan stopped shares the CPU fairly, but it also makes the timer wait
# behind every port that arrived with it.
# Timer-first patches that for one port, at the start of each pass. The FIFO ABI
# (notebook 04) replaces all three with explicit priorities; notebook 06 compares every
# scheme on one realistic workload.
