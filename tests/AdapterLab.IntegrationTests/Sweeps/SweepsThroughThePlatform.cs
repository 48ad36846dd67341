using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Sweeps;
using AdapterLab.Data.Entities;
using AdapterLab.IntegrationTests.Faults;
using AdapterLab.IntegrationTests.Infrastructure;
using AdapterLab.Orchestrator.Sweeps;
using AdapterLab.Web.Sweeps;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AdapterLab.IntegrationTests.Sweeps;

/// <summary>
/// An ASHA sweep on the real services, with every message delivered twice (web, orchestrator and agent each consume
/// everything twice): trials pause at their rungs, the best are promoted once and resume from their rung checkpoints
/// (not restarts), the rest end Stopped with their checkpoints released, the sweep's cost is the steps actually trained,
/// and the winner's results equal the same configuration trained straight through as a plain experiment — with two
/// orchestrator replicas deciding side by side.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class SweepsThroughThePlatform(DuplicatingPlatform platform) : IClassFixture<DuplicatingPlatform>
{
    /// <summary>4 linear probes of a random backbone over a learning-rate range; η 2 on 8 steps: rungs 2 / 4 / 8.</summary>
    private static object Sweep(string name, int confirmSeeds = 0, int finalRungSeeds = 1) => new
    {
        name,
        template = new
        {
            specVersion = 1,
            kind = "adapt",
            backbone = new { preset = "vit-tiny-ci", source = "random" },
            method = new { name = "linear-probe" },
            tasks = new[] { "classification" },
            data = new { dataset = "shapesworld", labelFamily = "object-count", sourceDomain = "textured", trainSize = 128, validationSize = 64, testSize = 64 },
            training = new { steps = 8, batchSize = 32, optimizer = "adamw", seed = 3 },
        },
        space = new Dictionary<string, object> { ["training.learningRate"] = new { type = "log-uniform", low = 1e-4, high = 3e-1 } },
        objective = new { metric = "accuracy", direction = "max" },
        budget = new { maxTrials = 4 },
        algorithm = "asha",
        eta = 2,
        maxConcurrent = 2,
        seed = 11,
        confirmSeeds,
        finalRungSeeds,
    };

    [Fact]
    public async Task An_asha_sweep_promotes_the_best_once_resumes_them_from_their_rungs_and_stops_the_rest()
    {
        // A second orchestrator replica joins (as one would after a restart), and both replicas' sweep drivers are driven
        // side by side on top of their own timers while the sweep runs: decisions made twice, concurrently, apply once.
        var second = await platform.StartOrchestratorAsync();
        var drivers = new[] { platform.OrchestratorServices, second }
            .Select(s => s.GetServices<IHostedService>().OfType<SweepDriver>().Single()).ToList();
        using var stopDriving = new CancellationTokenSource();
        var driving = Task.Run(async () =>
        {
            while (!stopDriving.IsCancellationRequested)
            {
                await Task.WhenAll(drivers.Select(d => d.PassAsync(CancellationToken.None)));
                await Task.Delay(200);
            }
        });

        using var created = await platform.Api.PostAsJsonAsync("/api/sweeps", Sweep("it-asha", confirmSeeds: 2), JsonSerializerOptions.Web);
        var body = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, body);
        var id = JsonDocument.Parse(body).RootElement.GetProperty("summary").GetProperty("id").GetGuid();
        Assert.Equal([2, 4, 8], JsonDocument.Parse(body).RootElement.GetProperty("brackets")[0].EnumerateArray().Select(r => r.GetInt32()));

        await Eventually.TrueAsync(async () =>
        {
            await using var db = platform.Db();
            return await db.Sweeps.AnyAsync(s => s.Id == id && s.Status != SweepStatuses.Running && s.Status != SweepStatuses.Confirming);
        }, TimeSpan.FromMinutes(6));
        stopDriving.Cancel();
        await driving;

        await using var db = platform.Db();
        var sweep = await db.Sweeps.SingleAsync(s => s.Id == id);
        Assert.Equal(SweepStatuses.Finished, sweep.Status);
        var trials = await db.SweepTrials.Where(t => t.SweepId == id).OrderBy(t => t.Index).ToListAsync();
        Assert.Equal(4, trials.Count);
        Assert.All(trials, t => Assert.Null(t.FailureReason));
        var ids = trials.Select(t => t.ExperimentId!.Value).ToList();
        var experiments = await db.Experiments.Where(e => ids.Contains(e.Id)).ToDictionaryAsync(e => e.Id);
        var confirmations = await db.Experiments.Where(e => e.SweepId == id && !ids.Contains(e.Id)).ToListAsync();
        var results = await db.SweepRungResults.Where(r => r.SweepId == id).ToListAsync();

        // Asynchronous successive halving promotes as results arrive, so how many climb depends on their order; what
        // always holds once it is over: every trial in the top half of a rung (by its final values there) was promoted,
        // someone reached the full budget, and each trial was promoted once per rung it climbed although every rung
        // report arrived twice.
        int[] rungs = [2, 4, 8];
        Assert.Equal(4, results.Count(r => r.Rung == 0));
        for (int k = 0; k < 2; k++)
        {
            var atRung = results.Where(r => r.Rung == k).OrderByDescending(r => r.Value).ThenBy(r => r.TrialIndex).ToList();
            foreach (var top in atRung.Take(atRung.Count / 2))
                Assert.Contains(results, r => r.TrialIndex == top.TrialIndex && r.Rung == k + 1);
            Assert.True(results.Count(r => r.Rung == k + 1) <= atRung.Count);
        }
        var finalists = results.Where(r => r.Rung == 2).Select(r => r.TrialIndex).ToHashSet();
        Assert.NotEmpty(finalists);
        // Each promotion says its kind on the rung it left (this sweep has no promotion tolerance: all among the top 1/η);
        // a rung a trial did not leave says none.
        foreach (var r in results)
            Assert.Equal(results.Any(x => x.TrialIndex == r.TrialIndex && x.Rung == r.Rung + 1) ? RungPromotions.Top : null, r.Promotion);

        foreach (var t in trials)
        {
            var e = experiments[t.ExperimentId!.Value];
            Assert.Equal(finalists.Contains(t.Index) ? ExperimentStatus.Succeeded : ExperimentStatus.Stopped, e.Status);
            Assert.Equal(results.Where(r => r.TrialIndex == t.Index).Max(r => r.Rung), t.TargetRung);
            var transitions = await db.StateTransitions.Where(x => x.ExperimentId == e.Id).Select(x => x.From + ">" + x.To).ToListAsync();
            Assert.Equal(t.TargetRung, transitions.Count(x => x == "Paused>Queued"));
            Assert.DoesNotContain("Cancelled", string.Join(",", transitions));
            var attempts = await db.Attempts.Where(a => a.ExperimentId == e.Id).OrderBy(a => a.Number).ToListAsync();
            Assert.Equal(t.TargetRung + 1, attempts.Count);
            // Each promotion resumed from the rung checkpoint: attempt k starts where rung k-1 paused.
            for (int k = 0; k < attempts.Count; k++)
            {
                Assert.Equal(k == 0 ? 0 : rungs[k - 1], attempts[k].StartStep);
                Assert.Equal(rungs[k], attempts[k].Step);
            }
            if (e.Status == ExperimentStatus.Stopped)
                Assert.False(await db.Checkpoints.AnyAsync(c => c.ExperimentId == e.Id && c.Kind == "resume"), "a stopped trial's rung checkpoint is released");
        }
        // The cost is the steps trained (each trial's highest rung), less than four full budgets.
        long spent = trials.Sum(t => (long)rungs[t.TargetRung]);
        Assert.Equal(spent, experiments.Values.Sum(e => e.Step));
        Assert.True(spent < 4 * 8, $"spent {spent}");
        Assert.Contains("trial budget", sweep.Note);
        var winner = trials.Where(t => finalists.Contains(t.Index))
            .OrderByDescending(t => results.Single(r => r.TrialIndex == t.Index && r.Rung == 2).Value).ThenBy(t => t.Index).First();

        // The winner, resumed across two rungs, equals its configuration trained straight through.
        var spec = JsonDocument.Parse(experiments[winner.ExperimentId!.Value].SpecJson).RootElement;
        var straightId = await platform.SubmitAsync(spec);
        await platform.WaitForStatusAsync(straightId, "Succeeded", TimeSpan.FromMinutes(3));
        var straight = await FinalAsync(db, straightId);
        Assert.NotEmpty(straight);
        Assert.Equal(straight, await FinalAsync(db, winner.ExperimentId!.Value));

        // After the search the winner trained again with two fresh seeds (no trial's), and the sweep reports their test
        // objective with its interval and its floor.
        Assert.Equal(winner.Index, sweep.WinnerTrialIndex);
        Assert.Equal(2, confirmations.Count);
        Assert.All(confirmations, c => Assert.Equal(ExperimentStatus.Succeeded, c.Status));
        Assert.Empty(confirmations.Select(c => c.Seed).Intersect(experiments.Values.Select(e => e.Seed)));
        Assert.All(confirmations, c => Assert.Equal(experiments[winner.ExperimentId!.Value].ConfigurationHash, c.ConfigurationHash));
        Assert.Contains("fresh seeds", sweep.Note);

        // The API shows it: every trial with its values, the leader, best-so-far against steps trained, the confirmation.
        // (Predictions may be stored moments after a run succeeds: then the interval is the seeds' alone for a while.)
        JsonElement details = default;
        await Eventually.TrueAsync(async () =>
        {
            details = await platform.Api.GetFromJsonAsync<JsonElement>($"/api/sweeps/{id}");
            return details.GetProperty("confirmation").GetProperty("intervalMethod").GetString() == "SeedsAndExamples";
        }, TimeSpan.FromSeconds(30));
        Assert.Equal(winner.Index, details.GetProperty("leader").GetProperty("index").GetInt32());
        Assert.Equal(spent, details.GetProperty("summary").GetProperty("stepsTrained").GetInt64());
        Assert.Equal(results.Count, details.GetProperty("bestSoFar").GetArrayLength());
        Assert.Equal(results.Count(r => r.Promotion is not null),
            details.GetProperty("trials").EnumerateArray().Sum(t => t.GetProperty("promotions").EnumerateObject().Count(x => x.Value.GetString() == RungPromotions.Top)));
        var confirmation = details.GetProperty("confirmation");
        Assert.Equal(2, confirmation.GetProperty("runs").GetArrayLength());
        Assert.True(confirmation.GetProperty("lower").GetDouble() <= confirmation.GetProperty("mean").GetDouble());
        Assert.Contains("test accuracy", confirmation.GetProperty("verdict").GetString());
        Assert.Contains("floor", confirmation.GetProperty("verdict").GetString());

        // Per-trial curves: each trial's training loss at every step it trained, one point per step, continued across
        // its promotions; a bad query names its field; an unknown sweep is a 404.
        var curves = await platform.Api.GetFromJsonAsync<JsonElement>($"/api/sweeps/{id}/curves");
        Assert.Equal("loss", curves.GetProperty("metric").GetString());
        var curveTrials = curves.GetProperty("trials").EnumerateArray().ToList();
        Assert.Equal(trials.Count, curveTrials.Count);
        foreach (var c in curveTrials)
        {
            var t = trials.Single(x => x.Index == c.GetProperty("index").GetInt32());
            var steps = c.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("step").GetInt64()).ToList();
            Assert.Equal(Enumerable.Range(1, rungs[t.TargetRung]).Select(i => (long)i), steps);
        }
        using (var bad = await platform.Api.GetAsync($"/api/sweeps/{id}/curves?metric={Uri.EscapeDataString("loss; drop table")}"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.True(JsonDocument.Parse(await bad.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty("metric", out _));
        }
        using (var missing = await platform.Api.GetAsync($"/api/sweeps/{Guid.NewGuid()}/curves"))
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task With_two_final_rung_seeds_each_finalist_is_judged_on_the_mean_of_its_run_and_a_replicate_on_the_next_seed()
    {
        using var created = await platform.Api.PostAsJsonAsync("/api/sweeps", Sweep("it-seeds", finalRungSeeds: 2), JsonSerializerOptions.Web);
        var body = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, body);
        var id = JsonDocument.Parse(body).RootElement.GetProperty("summary").GetProperty("id").GetGuid();
        await Eventually.TrueAsync(async () =>
        {
            await using var db = platform.Db();
            return await db.Sweeps.AnyAsync(s => s.Id == id && s.Status != SweepStatuses.Running);
        }, TimeSpan.FromMinutes(6));

        await using var db = platform.Db();
        var sweep = await db.Sweeps.SingleAsync(s => s.Id == id);
        Assert.Equal(SweepStatuses.Finished, sweep.Status);
        var trials = await db.SweepTrials.Where(t => t.SweepId == id).ToListAsync();
        var replicates = await db.SweepReplicates.Where(r => r.SweepId == id).ToListAsync();
        var results = await db.SweepRungResults.Where(r => r.SweepId == id).ToListAsync();
        var all = await db.Experiments.Where(e => e.SweepId == id).ToDictionaryAsync(e => e.Id);
        Assert.Equal(trials.Count + replicates.Count, all.Count); // no confirmations: trials and replicates only
        var finalists = trials.Where(t => t.TargetRung == 2).ToList();
        Assert.NotEmpty(finalists);
        // Every finalist has exactly one replicate (every message was delivered twice), on the next seed, trained straight
        // through the full budget in one attempt from step 0, its objective recorded; no other trial has one.
        Assert.Equal(finalists.Select(t => t.Index).Order(), replicates.Select(r => r.TrialIndex).Order());
        var api = await platform.Api.GetFromJsonAsync<JsonElement>($"/api/sweeps/{id}");
        var views = api.GetProperty("trials").EnumerateArray().ToDictionary(t => t.GetProperty("index").GetInt32());
        var means = new Dictionary<int, double>();
        foreach (var t in finalists)
        {
            var r = replicates.Single(x => x.TrialIndex == t.Index);
            var own = all[t.ExperimentId!.Value];
            var replicate = all[r.ExperimentId];
            Assert.Equal((1, own.Seed + 1, ExperimentStatus.Succeeded, 8L), (r.Replicate, replicate.Seed, replicate.Status, replicate.Step));
            Assert.Equal(own.ConfigurationHash, replicate.ConfigurationHash);
            var attempts = await db.Attempts.Where(a => a.ExperimentId == replicate.Id).ToListAsync();
            Assert.Equal(0, Assert.Single(attempts).StartStep);
            double replicateAccuracy = await db.FinalResults.Where(f => f.ExperimentId == replicate.Id && f.Split == "validation" && f.Metric == "accuracy").Select(f => f.Value).SingleAsync();
            Assert.Equal(replicateAccuracy, r.Value);
            double ownValue = results.Single(x => x.TrialIndex == t.Index && x.Rung == 2).Value;
            means[t.Index] = (ownValue + replicateAccuracy) / 2;
            // The API's last rung is the mean judged; its seeds are listed, the trial's own first.
            var view = views[t.Index];
            Assert.Equal(means[t.Index], view.GetProperty("rungs").GetProperty("2").GetDouble(), 12);
            var seeds = view.GetProperty("finalSeeds").EnumerateArray().Select(x => (x.GetProperty("seed").GetInt32(), x.GetProperty("value").GetDouble())).ToList();
            Assert.Equal([(own.Seed, ownValue), (replicate.Seed, replicateAccuracy)], seeds);
        }
        // The winner is the best mean (ties: the earlier trial), and the cost counts the replicates' steps.
        int winner = means.OrderByDescending(m => m.Value).ThenBy(m => m.Key).First().Key;
        Assert.Equal(winner, sweep.WinnerTrialIndex);
        Assert.Equal(winner, api.GetProperty("leader").GetProperty("index").GetInt32());
        Assert.Equal(all.Values.Sum(e => e.Step), api.GetProperty("summary").GetProperty("stepsTrained").GetInt64());
        Assert.Equal(results.Count + replicates.Count, api.GetProperty("bestSoFar").GetArrayLength());
        Assert.Equal(means.Values.Max(), api.GetProperty("bestSoFar").EnumerateArray().Last().GetProperty("bestFinal").GetDouble(), 12);

        // A bad count names its field.
        var bad = JsonSerializer.SerializeToNode(Sweep("it-seeds-bad", finalRungSeeds: 0), JsonSerializerOptions.Web)!;
        using var refused = await platform.Api.PostAsync("/api/sweeps", new StringContent(bad.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.True(JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty("finalRungSeeds", out _));
    }

    [Fact]
    public async Task Bad_sweeps_get_a_400_naming_the_field_and_a_stop_ends_a_running_one()
    {
        async Task<JsonElement> Refused(string json)
        {
            using var r = await platform.Api.PostAsync("/api/sweeps", new StringContent(json, Encoding.UTF8, "application/json"));
            var text = await r.Content.ReadAsStringAsync();
            Assert.True(r.StatusCode == HttpStatusCode.BadRequest, $"{(int)r.StatusCode}: {text}");
            return JsonDocument.Parse(text).RootElement.GetProperty("errors");
        }
        var good = JsonSerializer.SerializeToNode(Sweep("it-bad"), JsonSerializerOptions.Web)!.AsObject();

        Assert.True((await Refused("{ not json")).TryGetProperty("body", out _));
        var unknown = good.DeepClone().AsObject();
        unknown["colour"] = "red";
        Assert.True((await Refused(unknown.ToJsonString())).TryGetProperty("colour", out _));
        var early = good.DeepClone().AsObject();
        early["minSteps"] = 1;
        early["template"]!["training"]!["warmupSteps"] = 2;
        Assert.True((await Refused(early.ToJsonString())).TryGetProperty("minSteps", out _));
        var negative = good.DeepClone().AsObject();
        negative["promotionTolerance"] = -0.02;
        Assert.True((await Refused(negative.ToJsonString())).TryGetProperty("promotionTolerance", out _));
        // A space of choices only runs each configuration once, so every one is checked: an invalid learning rate placed
        // after the 16th in the sweep's order (the draws checked of a range) is refused as well.
        var listed = good.DeepClone().AsObject();
        listed["space"] = new JsonObject
        {
            ["training.learningRate"] = new JsonObject { ["type"] = "choice", ["values"] = new JsonArray([.. Enumerable.Range(1, 39).Select(i => (JsonNode)JsonValue.Create(i * 1e-3)), JsonValue.Create(-1.0)]) },
        };
        listed["budget"] = new JsonObject { ["maxTrials"] = 40 };
        listed["seed"] = Enumerable.Range(1, 100).First(seed =>
        {
            var copy = listed.DeepClone().AsObject();
            copy["seed"] = seed;
            var order = SearchSpace.Points(SweepDefinition.Parse(copy.ToJsonString()))!;
            return order.Take(SweepCatalogue.DrawsChecked).All(p => p["training.learningRate"]!.GetValue<double>() > 0);
        });
        var late = await Refused(listed.ToJsonString());
        Assert.Contains(late.EnumerateObject(), e => e.Name.StartsWith("template.training.learningRate", StringComparison.Ordinal) && e.Value[0].GetString()!.Contains("= -1"));
        var badSpec = good.DeepClone().AsObject();
        badSpec["space"] = JsonSerializer.SerializeToNode(new Dictionary<string, object> { ["method.name"] = new { type = "choice", values = new[] { "linear-probe", "no-such-method" } } });
        badSpec["algorithm"] = "grid";
        var errors = await Refused(badSpec.ToJsonString());
        Assert.Contains(errors.EnumerateObject(), e => e.Name.StartsWith("template.method", StringComparison.Ordinal) && e.Value[0].GetString()!.Contains("no-such-method"));

        // A sweep whose trials wait forever (no agent in their pool) stops on request: its queued trials are cancelled.
        var stuck = good.DeepClone().AsObject();
        stuck["name"] = "it-stop";
        stuck["template"]!["resources"] = JsonSerializer.SerializeToNode(new { pool = "nowhere" });
        using var created = await platform.Api.PostAsync("/api/sweeps", new StringContent(stuck.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("summary").GetProperty("id").GetGuid();
        await Eventually.TrueAsync(async () =>
        {
            await using var db = platform.Db();
            return await db.SweepTrials.CountAsync(t => t.SweepId == id) == 2; // maxConcurrent
        }, TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.Accepted, (await platform.Api.PostAsync($"/api/sweeps/{id}/stop", null)).StatusCode);
        await Eventually.TrueAsync(async () =>
        {
            await using var db = platform.Db();
            var trialIds = await db.SweepTrials.Where(t => t.SweepId == id).Select(t => t.ExperimentId).ToListAsync();
            return await db.Sweeps.AnyAsync(s => s.Id == id && s.Status == SweepStatuses.Stopped)
                && await db.Experiments.Where(e => trialIds.Contains(e.Id)).AllAsync(e => e.Status == ExperimentStatus.Cancelled);
        }, TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.Conflict, (await platform.Api.PostAsync($"/api/sweeps/{id}/stop", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await platform.Api.PostAsync($"/api/sweeps/{Guid.NewGuid()}/stop", null)).StatusCode);
    }

    private static Task<List<string>> FinalAsync(AdapterLab.Data.PlatformDbContext db, Guid id) =>
        db.FinalResults.Where(r => r.ExperimentId == id).OrderBy(r => r.Split).ThenBy(r => r.Domain).ThenBy(r => r.Metric)
            .Select(r => $"{r.Split}/{r.Task}/{r.Domain}/{r.Metric}={r.Value:R}").ToListAsync();
}
