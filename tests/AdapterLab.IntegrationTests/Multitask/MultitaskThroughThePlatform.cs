using System.Net.Http.Json;
using System.Text.Json;
using AdapterLab.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.IntegrationTests.Multitask;

/// <summary>
/// Dense multitask experiments through the platform on the shared pretrained vit-tiny-ci: every method once and every
/// setting once (vtagml/multitask, multitask-shared/zero-shot, multitask-finetune/domain-adaptation with pseudo-labels,
/// single-task/domain-generalization, then kind evaluate of the single-task run on another domain), each storing
/// per-task × domain results, affinity matrices (for two or more tasks) and a gallery checkpoint.
/// </summary>
[Collection(SharedPlatformCollection.Name)]
public sealed class MultitaskThroughThePlatform(SharedPlatform platform)
{
    private object Spec(string method, string[] tasks, object data, object? methodOptions = null) => new
    {
        specVersion = 1,
        name = $"test {method}",
        kind = "multitask",
        backbone = new { preset = "vit-tiny-ci", source = "named", name = platform.BackboneName },
        method = methodOptions ?? new { name = method },
        tasks,
        data,
        training = new { steps = 6, batchSize = 8, evalInterval = 3, seed = 1 },
    };

    [Fact]
    public async Task Every_method_and_setting_stores_results_affinity_and_gallery()
    {
        string[] all = ["segmentation", "depth", "normals", "edges"];
        var vtagml = await platform.SubmitAsync(Spec("vtagml", all,
            new { dataset = "shapesworld", setting = "multitask", sourceDomain = "synthetic", trainSize = 32, validationSize = 8, testSize = 8 },
            new { name = "vtagml", adapterBlocks = 1, estimator = "troa", measuredEstimators = new[] { "cosine", "tag-lookahead" } }));
        var shared = await platform.SubmitAsync(Spec("multitask-shared", ["segmentation", "depth", "normals"],
            new { dataset = "shapesworld", setting = "zero-shot-task-transfer", sourceDomain = "synthetic", targetDomains = new[] { "textured" }, zeroShotTasks = new[] { "normals" }, trainSize = 32, validationSize = 8, testSize = 8 }));
        var finetune = await platform.SubmitAsync(Spec("multitask-finetune", ["segmentation", "edges"],
            new { dataset = "shapesworld", setting = "domain-adaptation", adaptation = "pseudo-labels", sourceDomain = "synthetic", targetDomains = new[] { "fog" }, trainSize = 32, validationSize = 8, testSize = 8 }));
        var single = await platform.SubmitAsync(Spec("single-task", ["depth"],
            new { dataset = "shapesworld", setting = "domain-generalization", sourceDomain = "synthetic", targetDomains = new[] { "noisy-photo" }, trainSize = 32, validationSize = 8, testSize = 8 }));

        foreach (var id in new[] { vtagml, shared, finetune, single })
            await platform.WaitForStatusAsync(id, "Succeeded", TimeSpan.FromMinutes(3));

        var vt = await platform.GetExperimentAsync(vtagml);
        var results = vt.GetProperty("results").EnumerateArray().ToList();
        foreach (var (task, metric) in new[] { ("segmentation", "miou"), ("depth", "rmse"), ("depth", "delta1"), ("normals", "angular-error"), ("edges", "l1") })
            Assert.Contains(results, r => r.GetProperty("task").GetString() == task && r.GetProperty("metric").GetString() == metric && r.GetProperty("split").GetString() == "test");

        var affinity = await platform.Api.GetFromJsonAsync<JsonElement>($"/api/experiments/{vtagml}/affinity");
        var matrices = affinity.EnumerateArray().ToList();
        foreach (var estimator in new[] { "troa", "cosine", "tag-lookahead", "gradient-cosine" })
        {
            Assert.Contains(matrices, m => m.GetProperty("estimator").GetString() == estimator && m.GetProperty("step").GetInt64() == 3);
            Assert.Contains(matrices, m => m.GetProperty("estimator").GetString() == estimator && m.GetProperty("step").GetInt64() == 6);
        }
        Assert.All(matrices, m => Assert.Equal(16, m.GetProperty("values").GetArrayLength()));
        Assert.Equal(0, matrices.First(m => m.GetProperty("estimator").GetString() == "cosine").GetProperty("asymmetry").GetDouble(), 6);

        var zs = (await platform.GetExperimentAsync(shared)).GetProperty("results").EnumerateArray().ToList();
        Assert.Contains(zs, r => r.GetProperty("domain").GetString() == "textured" && r.GetProperty("metric").GetString() == "angular-error@constant");
        Assert.Contains(zs, r => r.GetProperty("domain").GetString() == "textured" && r.GetProperty("metric").GetString() == "angular-error@from-depth");
        var dg = (await platform.GetExperimentAsync(single)).GetProperty("results").EnumerateArray().ToList();
        Assert.Contains(dg, r => r.GetProperty("domain").GetString() == "noisy-photo" && r.GetProperty("metric").GetString() == "rmse");
        Assert.Empty((await platform.Api.GetFromJsonAsync<JsonElement>($"/api/experiments/{single}/affinity")).EnumerateArray());

        // Dense metrics compared through the platform: the stored per-image parts give the dataset-level RMSE and mIoU a
        // test-set interval (one seed each: test-set sampling only) and a paired test, with the image-blind floor.
        var compare = await platform.Api.GetFromJsonAsync<JsonElement>($"/api/compare?ids={vtagml},{single}&baseline={vtagml}");
        var rmse = compare.GetProperty("statistics").GetProperty("rows").EnumerateArray()
            .Single(r => r.GetProperty("domain").GetString() == "synthetic" && r.GetProperty("metric").GetString() == "rmse");
        Assert.Equal("image-blind-prior", rmse.GetProperty("floorName").GetString());
        var rmseCells = rmse.GetProperty("cells").EnumerateArray().ToList();
        Assert.All(rmseCells, c => Assert.Equal("ExamplesOnly", c.GetProperty("intervalMethod").GetString()));
        Assert.All(rmseCells, c => Assert.Equal(8, c.GetProperty("examples").GetInt32()));
        Assert.All(rmseCells, c => Assert.True(c.GetProperty("lower").GetDouble() < c.GetProperty("mean").GetDouble() && c.GetProperty("mean").GetDouble() < c.GetProperty("upper").GetDouble(), c.ToString()));
        double reportedRmse = results.Single(r => r.GetProperty("split").GetString() == "test" && r.GetProperty("domain").GetString() == "synthetic" && r.GetProperty("metric").GetString() == "rmse").GetProperty("value").GetDouble();
        Assert.Equal(reportedRmse, rmseCells[0].GetProperty("mean").GetDouble(), 4);
        Assert.StartsWith("paired t over examples", rmseCells[1].GetProperty("test").GetString());
        Assert.Empty(compare.GetProperty("statistics").GetProperty("notes").EnumerateArray());

        await using (var db = platform.Db())
        {
            foreach (var id in new[] { vtagml, shared, finetune, single })
                Assert.True(await db.Checkpoints.AnyAsync(c => c.ExperimentId == id && c.Kind == "gallery"), $"gallery of {id}");
        }

        var evaluate = await platform.SubmitAsync(new
        {
            specVersion = 1,
            name = "test evaluate single-task",
            kind = "evaluate",
            backbone = new { preset = "vit-tiny-ci", source = "experiment", experimentId = single },
            method = new { name = "single-task" },
            tasks = new[] { "depth" },
            data = new { dataset = "shapesworld", setting = "domain-generalization", sourceDomain = "synthetic", targetDomains = new[] { "fog" }, validationSize = 8, testSize = 8 },
            training = new { steps = 1, batchSize = 8 },
        });
        await platform.WaitForStatusAsync(evaluate, "Succeeded", TimeSpan.FromMinutes(2));
        var ev = (await platform.GetExperimentAsync(evaluate)).GetProperty("results").EnumerateArray().ToList();
        Assert.Contains(ev, r => r.GetProperty("domain").GetString() == "fog" && r.GetProperty("metric").GetString() == "delta1");
    }
}
