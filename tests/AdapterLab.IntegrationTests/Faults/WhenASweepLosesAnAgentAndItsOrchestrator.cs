using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Data.Entities;
using AdapterLab.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.IntegrationTests.Faults;

/// <summary>
/// A Hyperband sweep through the real services that loses its agent (kill -9 in the middle of a rung) and then its
/// orchestrator (stopped while trials train and report their rungs, started again 10 s later): the killed trial resumes
/// from its mid-rung checkpoint on another agent, the rung reports sent while no orchestrator listened are decided when
/// one is back, and the sweep ends as if nothing had happened — every trial at its bracket's rungs, promoted once per rung
/// it climbed, every step's loss stored once, nothing failed.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class WhenASweepLosesAnAgentAndItsOrchestrator(FaultPlatform platform)
{
    /// <summary>AdaptFormer over a learning-rate range; η 2 from 12 steps to 48: brackets 12/24/48, 24/48 and 48.</summary>
    private static object Sweep(string name) => new
    {
        name,
        template = new
        {
            specVersion = 1,
            kind = "adapt",
            backbone = new { preset = "vit-tiny-ci", source = "random" },
            method = new { name = "adaptformer" },
            tasks = new[] { "classification" },
            data = new { dataset = "shapesworld", labelFamily = "largest-shape", sourceDomain = "synthetic", trainSize = 128, validationSize = 32, testSize = 32 },
            training = new { steps = 48, batchSize = 32, optimizer = "adamw", checkpointInterval = 4, evalInterval = 0, seed = 5 },
            retry = new { maxAttempts = 5 },
        },
        space = new Dictionary<string, object> { ["training.learningRate"] = new { type = "log-uniform", low = 1e-4, high = 1e-1 } },
        objective = new { metric = "accuracy", direction = "max" },
        budget = new { maxTrials = 6 },
        algorithm = "hyperband",
        eta = 2,
        minSteps = 12,
        maxConcurrent = 2,
        seed = 7,
    };

    [Fact]
    public async Task A_hyperband_sweep_survives_a_killed_agent_mid_rung_and_an_orchestrator_restart()
    {
        var doomed = await platform.StartAgentProcessAsync("sweep-doomed-" + Guid.NewGuid().ToString("N")[..6], slots: 2);
        AgentProcess? rescuer = null;
        try
        {
            await platform.AwaitOnlyTheseAgentsLiveAsync(doomed.Id);
            using var created = await platform.Api.PostAsJsonAsync("/api/sweeps", Sweep("fault-hyperband"), JsonSerializerOptions.Web);
            var body = await created.Content.ReadAsStringAsync();
            Assert.True(created.StatusCode == HttpStatusCode.Created, body);
            var root = JsonDocument.Parse(body).RootElement;
            var id = root.GetProperty("summary").GetProperty("id").GetGuid();
            var brackets = root.GetProperty("brackets").EnumerateArray().Select(b => b.EnumerateArray().Select(r => r.GetInt32()).ToArray()).ToArray();
            Assert.Equal([[12, 24, 48], [24, 48], [48]], brackets);

            // Kill the agent when a trial is between two checkpoints of a rung, past its first checkpoint there.
            Guid killedTrial = default;
            long killedAt = 0;
            await Eventually.TrueAsync(async () =>
            {
                await using var db = platform.Db();
                var trials = await db.SweepTrials.AsNoTracking().Where(t => t.SweepId == id && t.ExperimentId != null).ToListAsync();
                foreach (var t in trials)
                {
                    var running = await db.Attempts.AsNoTracking()
                        .Where(a => a.ExperimentId == t.ExperimentId && a.Status == ExperimentStatus.Running).SingleOrDefaultAsync();
                    if (running is null) continue;
                    var ladder = brackets[t.Bracket];
                    var mid = await db.Checkpoints.AsNoTracking()
                        .Where(c => c.ExperimentId == t.ExperimentId && c.Kind == "resume" && c.Step > running.StartStep)
                        .Select(c => c.Step).ToListAsync();
                    if (mid.FirstOrDefault(s => !ladder.Contains((int)s)) is > 0 and var step)
                    {
                        killedTrial = t.ExperimentId!.Value;
                        killedAt = step;
                        return true;
                    }
                }
                return false;
            }, TimeSpan.FromMinutes(3), () => "no trial checkpointed inside a rung; the agent's log:\n" + doomed.Log, pollInterval: TimeSpan.FromMilliseconds(50));
            doomed.Kill();
            rescuer = await platform.StartAgentProcessAsync("sweep-rescuer-" + Guid.NewGuid().ToString("N")[..6], slots: 2);

            // The killed trial is resumed on the rescuer; then the orchestrator goes away while trials train and report.
            await Eventually.TrueAsync(async () =>
            {
                await using var db = platform.Db();
                return await db.Attempts.AnyAsync(a => a.ExperimentId == killedTrial && a.AgentId == rescuer.Id && a.Status == ExperimentStatus.Running);
            }, TimeSpan.FromMinutes(2), () => "the killed trial was not resumed on the rescuer; its log:\n" + rescuer.Log);
            await platform.StopOrchestratorsAsync();
            await Task.Delay(TimeSpan.FromSeconds(10));
            await platform.RestartOrchestratorAsync();

            await Eventually.TrueAsync(async () =>
            {
                await using var db = platform.Db();
                return await db.Sweeps.AnyAsync(s => s.Id == id && s.Status != SweepStatuses.Running && s.Status != SweepStatuses.Confirming);
            }, TimeSpan.FromMinutes(6), () => "the sweep did not finish; the rescuer's log:\n" + rescuer.Log);

            await using var db = platform.Db();
            var sweep = await db.Sweeps.SingleAsync(s => s.Id == id);
            Assert.Equal(SweepStatuses.Finished, sweep.Status);
            var trials = await db.SweepTrials.Where(t => t.SweepId == id).OrderBy(t => t.Index).ToListAsync();
            Assert.Equal(6, trials.Count);
            Assert.Equal([0, 1, 2, 0, 1, 2], trials.Select(t => t.Bracket));
            Assert.All(trials, t => Assert.Null(t.FailureReason));
            var results = await db.SweepRungResults.Where(r => r.SweepId == id).ToListAsync();
            Assert.Equal(results.Count, results.Select(r => (r.TrialIndex, r.Rung)).Distinct().Count());
            // The winner is the best full-budget (48-step) result, in whichever bracket it trained: a bracket's rungs are
            // numbered from its own smallest, so the last bracket's rung 0 is as full as the first's rung 2. The API's leader is the same trial.
            var full = results.Where(r => brackets[trials[r.TrialIndex].Bracket][r.Rung] == 48).OrderByDescending(r => r.Value).ThenBy(r => r.TrialIndex).ToList();
            Assert.NotEmpty(full);
            Assert.Equal(full[0].TrialIndex, sweep.WinnerTrialIndex);
            var detail = await platform.Api.GetFromJsonAsync<JsonElement>($"/api/sweeps/{id}");
            Assert.Equal(full[0].TrialIndex, detail.GetProperty("leader").GetProperty("index").GetInt32());

            foreach (var t in trials)
            {
                var ladder = brackets[t.Bracket];
                var e = await db.Experiments.SingleAsync(x => x.Id == t.ExperimentId);
                bool finalist = t.TargetRung == ladder.Length - 1 && results.Any(r => r.TrialIndex == t.Index && r.Rung == t.TargetRung);
                Assert.Equal(finalist ? ExperimentStatus.Succeeded : ExperimentStatus.Stopped, e.Status);
                Assert.Equal(ladder[t.TargetRung], e.Step);
                // Each rung value was reported at that rung's step; a trial climbed one rung per promotion, each once.
                foreach (var r in results.Where(r => r.TrialIndex == t.Index)) Assert.Equal(ladder[r.Rung], r.Step);
                Assert.Equal(Enumerable.Range(0, t.TargetRung + 1), results.Where(r => r.TrialIndex == t.Index).Select(r => r.Rung).Order());
                var transitions = await db.StateTransitions.Where(x => x.ExperimentId == e.Id).OrderBy(x => x.Id).ToListAsync();
                TransitionChain.AssertUnbroken(transitions);
                Assert.Equal(t.TargetRung, transitions.Count(x => x.From == "Paused" && x.To == "Queued"));
                // Resumed steps continue the curve: every step's training loss is stored once, from 1 to where it ended.
                var steps = await db.MetricPoints.Where(p => p.ExperimentId == e.Id && p.Name == "loss" && p.Split == "train").Select(p => p.Step).ToListAsync();
                Assert.Equal(Enumerable.Range(1, ladder[t.TargetRung]).Select(i => (long)i), steps.Order());
                if (e.Status == ExperimentStatus.Stopped)
                    Assert.False(await db.Checkpoints.AnyAsync(c => c.ExperimentId == e.Id && c.Kind == "resume"), "a stopped trial's rung checkpoint is released");
            }

            // The killed trial: its attempt on the doomed agent was lost, and the next one started where it last
            // checkpointed inside the rung (a resume, not a restart from the rung's start).
            var attempts = await db.Attempts.Where(a => a.ExperimentId == killedTrial).OrderBy(a => a.Number).ToListAsync();
            var lost = attempts.Single(a => a.Status == ExperimentStatus.Lost);
            Assert.Equal(doomed.Id, lost.AgentId);
            var next = attempts.First(a => a.Number > lost.Number);
            Assert.Equal(rescuer.Id, next.AgentId);
            Assert.True(next.StartStep >= killedAt, $"resumed at step {next.StartStep}, but it had checkpointed at {killedAt}");
            Assert.True(next.StartStep > lost.StartStep, $"the lost attempt started at {lost.StartStep} and its successor again at {next.StartStep}");
        }
        finally
        {
            await doomed.DisposeAsync();
            if (rescuer is not null)
            {
                // Stopped as an operator would (SIGTERM: it says goodbye), so the next test's work is not dispatched to
                // an agent that died a moment ago and still looks alive.
                rescuer.Terminate();
                await rescuer.WaitForExitAsync(TimeSpan.FromSeconds(30));
                await rescuer.DisposeAsync();
            }
        }
    }
}
