namespace AdapterLab.IntegrationTests.Web;

/// <summary>Valid specs as clients send them.</summary>
public static class WebTestSpecs
{
    public const string AdaptFormer = """
        {
          "specVersion": 1,
          "name": "web-test-adaptformer",
          "kind": "adapt",
          "backbone": { "preset": "vit-tiny-ci", "source": "random" },
          "method": { "name": "adaptformer", "bottleneck": 8 },
          "data": { "dataset": "shapesworld", "labelFamily": "largest-shape", "sourceDomain": "synthetic", "targetDomains": ["fog"] },
          "training": { "steps": 100, "seed": 7 },
          "priority": 5,
          "tags": ["web-test"]
        }
        """;

    public static string Pretrain(string registerAs) => $$"""
        {
          "name": "web-test-pretrain",
          "kind": "pretrain",
          "backbone": { "preset": "vit-tiny-ci", "source": "random", "registerAs": "{{registerAs}}" },
          "method": { "name": "supervised" },
          "data": { "labelFamily": "largest-shape" },
          "training": { "steps": 50 }
        }
        """;
}
