using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace AdapterLab.Infra.Tests;

/// <summary>
/// The cluster deployment (<c>infra/k8s</c>) as <c>kubectl kustomize</c> renders each overlay: every built-in object
/// deserialises strictly into the official Kubernetes client's models (an unknown or misspelt field fails), KEDA's
/// objects satisfy the CRD schemas committed beside them (unknown fields refused), and the properties the platform
/// relies on hold: two orchestrators, agents named by their pod with a grace period longer than their drain, every
/// secret and config reference resolvable, probes on every service, GPUs requested where the overlay says so.
/// </summary>
public sealed partial class KubernetesManifestTests
{
    public static TheoryData<string> Overlays() =>
        new(Directory.GetDirectories(Path.Combine(RepoRoot.Path, "infra", "k8s", "overlays")).Select(Path.GetFileName)!);

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Every_object_deserialises_strictly(string overlay)
    {
        var documents = await RenderAsync(overlay);
        Assert.NotEmpty(documents);
        foreach (var (kind, yaml) in documents)
        {
            if (kind.ApiVersion.StartsWith("keda.sh/", StringComparison.Ordinal))
            {
                var errors = CrdSchema.Validate(kind, YamlJson.Parse(yaml));
                Assert.True(errors.Count == 0, $"{kind}: {string.Join("; ", errors)}");
                continue;
            }
            var objects = KubernetesYaml.LoadAllFromString(yaml, strict: true);
            Assert.Single(objects);
            Assert.IsAssignableFrom<IKubernetesObject>(objects[0]);
        }
    }

    [Fact]
    public void A_misspelt_field_is_caught_by_both_checks()
    {
        const string deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replica: 2\n  selector: {}\n  template: {}\n";
        Assert.ThrowsAny<YamlException>(() => KubernetesYaml.LoadAllFromString(deployment, strict: true));

        var scaled = YamlJson.Parse("apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: x\nspec:\n  minReplicas: 0\n  scaleTargetRef:\n    name: a\n  triggers:\n    - type: postgresql\n      metadata:\n        query: q\n        targetQueryValue: 1\n");
        var errors = CrdSchema.Validate(new Kind("keda.sh/v1alpha1", "ScaledObject", "x"), scaled);
        Assert.Contains(errors, e => e.Contains("minReplicas"));
        Assert.Contains(errors, e => e.Contains("targetQueryValue"));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task The_platform_runs_as_designed(string overlay)
    {
        var objects = (await RenderAsync(overlay)).Where(d => !d.Kind.ApiVersion.StartsWith("keda.sh/", StringComparison.Ordinal))
            .Select(d => (IKubernetesObject<V1ObjectMeta>)KubernetesYaml.LoadAllFromString(d.Yaml, strict: true)[0]).ToList();
        var deployments = objects.OfType<V1Deployment>().ToDictionary(d => d.Metadata.Name);
        var agents = Assert.Single(objects.OfType<V1StatefulSet>());
        var secrets = objects.OfType<V1Secret>().ToDictionary(s => s.Metadata.Name);
        var configMaps = objects.OfType<V1ConfigMap>().ToDictionary(c => c.Metadata.Name);

        Assert.All(objects.Where(o => o is not V1Namespace), o => Assert.Equal("adapterlab", o.Metadata.NamespaceProperty));
        Assert.True(deployments["adapterlab-orchestrator"].Spec.Replicas >= 2, "the orchestrator runs at least two replicas");
        Assert.Single(objects.OfType<V1Job>(), j => j.Metadata.Name == "adapterlab-migrator");

        // Agents: the pod name is the agent id; the grace period outlasts the drain and the host's shutdown timeout (drain + 20 s).
        var agent = Assert.Single(agents.Spec.Template.Spec.Containers);
        Assert.Equal("metadata.name", agent.Env.Single(e => e.Name == "Agent__Id").ValueFrom.FieldRef.FieldPath);
        var drain = double.Parse(agent.Env.Single(e => e.Name == "Agent__DrainSeconds").Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(agents.Spec.Template.Spec.TerminationGracePeriodSeconds > drain + 20,
            $"grace period {agents.Spec.Template.Spec.TerminationGracePeriodSeconds} s does not outlast a {drain} s drain");
        Assert.Contains(agents.Spec.VolumeClaimTemplates, v => agent.VolumeMounts.Any(m => m.Name == v.Metadata.Name && m.MountPath == agent.Env.Single(e => e.Name == "Agent__WorkDirectory").Value));

        var pods = deployments.Values.Select(d => d.Spec.Template.Spec).Append(agents.Spec.Template.Spec).Append(objects.OfType<V1Job>().Single().Spec.Template.Spec).ToList();
        foreach (var pod in pods)
        {
            foreach (var c in pod.Containers.Concat(pod.InitContainers ?? []))
            {
                foreach (var e in c.Env ?? [])
                {
                    if (e.ValueFrom?.SecretKeyRef is { } s)
                        Assert.True(secrets.TryGetValue(s.Name, out var secret) && (secret.StringData?.ContainsKey(s.Key) == true || secret.Data?.ContainsKey(s.Key) == true),
                            $"{c.Name}: {e.Name} refers to secret {s.Name}/{s.Key}, which the overlay does not define");
                    Assert.False(CredentialSetting().IsMatch(e.Name) && e.Value is not null, $"{c.Name}: {e.Name} holds a credential in plain text");
                }
                foreach (var from in c.EnvFrom ?? [])
                    Assert.True(configMaps.ContainsKey(from.ConfigMapRef.Name), $"{c.Name}: config map {from.ConfigMapRef.Name} is missing");
                Assert.True(File.Exists(Path.Combine(RepoRoot.Path, "infra", "docker", ImageName(c.Image) + ".Dockerfile")), $"{c.Name}: no Dockerfile builds {c.Image}");
            }
            foreach (var c in pod.Containers.Where(_ => pod != pods[^1]))
            {
                Assert.Equal("/health/live", c.LivenessProbe?.HttpGet?.Path);
                Assert.Equal("/health/ready", c.ReadinessProbe?.HttpGet?.Path);
            }
            foreach (var v in pod.Volumes ?? [])
                if (v.Secret is { } s) Assert.True(secrets.ContainsKey(s.SecretName), $"volume {v.Name}: secret {s.SecretName} is missing");
        }
        // Web and orchestrator wait for the schema the migrator applies (the inference host holds no database credential).
        Assert.All(deployments.Values.Where(d => d.Metadata.Name != "adapterlab-inference"),
            d => Assert.Contains(d.Spec.Template.Spec.InitContainers, c => ImageName(c.Image) == "migrator" && c.Args.Contains("--wait")));
        Assert.DoesNotContain(deployments["adapterlab-inference"].Spec.Template.Spec.Containers[0].Env, e => e.Name.StartsWith("ConnectionStrings__", StringComparison.Ordinal));

        var gpus = agent.Resources?.Limits?.TryGetValue("nvidia.com/gpu", out var g) == true ? g.ToString() : null;
        if (overlay == "gpu")
        {
            Assert.Equal("1", gpus);
            Assert.Contains(agents.Spec.Template.Spec.Tolerations, t => t.Key == "nvidia.com/gpu");
            Assert.EndsWith("-cuda", agent.Image);
            Assert.Equal("cuda", deployments["adapterlab-web"].Spec.Template.Spec.Containers[0].Env.Single(e => e.Name == "ADAPTERLAB_BOOTSTRAP_ENROLMENT_POOL").Value);
        }
        else
        {
            Assert.Null(gpus);
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex("^(ConnectionStrings__.*|.*__Password|.*__Token|.*Secret|.*_SECRET|ADAPTERLAB_ADMIN_PASSWORD|.*API_KEY)$")]
    private static partial System.Text.RegularExpressions.Regex CredentialSetting();

    private static string ImageName(string image) => image.Split('/')[^1].Split(':')[0];

    public sealed record Kind(string ApiVersion, string Name, string ObjectName)
    {
        public override string ToString() => $"{Name} {ObjectName}";
    }

    /// <summary>Renders an overlay from a copy of <c>infra/k8s</c> whose secret files are generated from their examples.</summary>
    private static async Task<List<(Kind Kind, string Yaml)>> RenderAsync(string overlay)
    {
        var copy = Path.Combine(Path.GetTempPath(), "adapterlab-k8s-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            CopyTree(Path.Combine(RepoRoot.Path, "infra", "k8s"), copy);
            var generated = await Commands.RunAsync("bash", [Path.Combine(copy, "components", "secrets", "generate.sh"), "--force"]);
            Assert.True(generated.ExitCode == 0, generated.Output);
            var rendered = await Commands.RunAsync("kubectl", ["kustomize", Path.Combine(copy, "overlays", overlay)]);
            Assert.True(rendered.ExitCode == 0, rendered.Output);
            var stream = new YamlStream();
            stream.Load(new StringReader(rendered.Stdout));
            var result = new List<(Kind, string)>();
            foreach (var document in stream.Documents)
            {
                var root = (YamlMappingNode)document.RootNode;
                var kind = new Kind(root["apiVersion"].ToString(), root["kind"].ToString(), ((YamlMappingNode)root["metadata"])["name"].ToString());
                var single = new YamlStream(document);
                using var writer = new StringWriter();
                single.Save(writer, assignAnchors: false);
                result.Add((kind, writer.ToString().TrimEnd('.', '\n', ' ')));
            }
            return result;
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories)) Directory.CreateDirectory(dir.Replace(from, to));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".env", StringComparison.Ordinal)))
            File.Copy(file, file.Replace(from, to));
    }

    /// <summary>YAML to JSON with YAML's typing of plain scalars (<c>15</c> a number, <c>"15"</c> a string), as the API server reads it.</summary>
    public static class YamlJson
    {
        public static JsonNode? Parse(string yaml)
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            return Convert(stream.Documents[0].RootNode);
        }

        private static JsonNode? Convert(YamlNode node) => node switch
        {
            YamlMappingNode m => new JsonObject(m.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, Convert(kv.Value)))),
            YamlSequenceNode s => new JsonArray(s.Children.Select(Convert).ToArray()),
            YamlScalarNode { Style: ScalarStyle.Plain } p when p.Value is "null" or "~" or "" => null,
            YamlScalarNode { Style: ScalarStyle.Plain } p when p.Value is "true" or "false" => JsonValue.Create(p.Value == "true"),
            YamlScalarNode { Style: ScalarStyle.Plain } p when long.TryParse(p.Value, out var l) => JsonValue.Create(l),
            YamlScalarNode { Style: ScalarStyle.Plain } p when double.TryParse(p.Value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) => JsonValue.Create(d),
            YamlScalarNode s => JsonValue.Create(s.Value),
            _ => throw new InvalidOperationException("unexpected YAML node " + node.NodeType),
        };
    }

    /// <summary>
    /// The structural-schema subset CRDs use (type, format int32, properties, required, items, additionalProperties,
    /// x-kubernetes-preserve-unknown-fields), applied strictly: a field the schema does not declare is an error rather
    /// than silently pruned, as <c>kubectl apply --validate=strict</c> does.
    /// </summary>
    public static class CrdSchema
    {
        private static readonly Lazy<Dictionary<string, JsonElement>> Schemas = new(Load);

        private static Dictionary<string, JsonElement> Load()
        {
            var path = Path.Combine(RepoRoot.Path, "infra", "k8s", "components", "keda", "keda-crds.yaml");
            var result = new Dictionary<string, JsonElement>();
            foreach (var crd in KubernetesYaml.LoadAllFromString(File.ReadAllText(path), strict: true).Cast<V1CustomResourceDefinition>())
            {
                foreach (var version in crd.Spec.Versions)
                {
                    var json = KubernetesJson.Serialize(version.Schema.OpenAPIV3Schema);
                    result[$"{crd.Spec.Group}/{version.Name}/{crd.Spec.Names.Kind}"] = JsonDocument.Parse(json).RootElement.Clone();
                }
            }
            return result;
        }

        public static List<string> Validate(Kind kind, JsonNode? value)
        {
            var errors = new List<string>();
            if (!Schemas.Value.TryGetValue($"{kind.ApiVersion}/{kind.Name}", out var schema))
                errors.Add($"no CRD schema for {kind.ApiVersion} {kind.Name}");
            else
                Check(schema, value, "", errors);
            return errors;
        }

        private static void Check(JsonElement schema, JsonNode? value, string path, List<string> errors)
        {
            if (value is null)
            {
                errors.Add($"{path}: null");
                return;
            }
            var type = schema.TryGetProperty("type", out var t) ? t.GetString() : null;
            switch (type)
            {
                case "object":
                    if (value is not JsonObject obj)
                    {
                        errors.Add($"{path}: expected an object");
                        return;
                    }
                    if (schema.TryGetProperty("required", out var required))
                        foreach (var r in required.EnumerateArray())
                            if (!obj.ContainsKey(r.GetString()!)) errors.Add($"{path}.{r.GetString()}: required");
                    bool preserve = schema.TryGetProperty("x-kubernetes-preserve-unknown-fields", out var p) && p.GetBoolean();
                    var declared = schema.TryGetProperty("properties", out var props) ? props : (JsonElement?)null;
                    var additional = schema.TryGetProperty("additionalProperties", out var a) ? a : (JsonElement?)null;
                    foreach (var (name, child) in obj)
                    {
                        if (declared is { } d && d.TryGetProperty(name, out var childSchema)) Check(childSchema, child, $"{path}.{name}", errors);
                        else if (additional is { } add) Check(add, child, $"{path}.{name}", errors);
                        else if (!preserve && (declared is not null || additional is not null)) errors.Add($"{path}.{name}: unknown field");
                    }
                    break;
                case "array":
                    if (value is not JsonArray array)
                    {
                        errors.Add($"{path}: expected an array");
                        return;
                    }
                    if (schema.TryGetProperty("items", out var items))
                        for (int i = 0; i < array.Count; i++) Check(items, array[i], $"{path}[{i}]", errors);
                    break;
                case "string":
                    if (value is not JsonValue s || s.GetValueKind() != JsonValueKind.String) errors.Add($"{path}: expected a string, got {value.ToJsonString()}");
                    break;
                case "integer":
                    if (value is not JsonValue n || n.GetValueKind() != JsonValueKind.Number || !long.TryParse(n.ToJsonString(), out var l)
                        || (schema.TryGetProperty("format", out var f) && f.GetString() == "int32" && (l < int.MinValue || l > int.MaxValue)))
                        errors.Add($"{path}: expected an integer, got {value.ToJsonString()}");
                    break;
                case "boolean":
                    if (value is not JsonValue b || b.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False)) errors.Add($"{path}: expected a boolean");
                    break;
            }
        }
    }
}
