using System.Text;
using AdapterLab.Web.Suites;

namespace AdapterLab.Web.Tests;

/// <summary>
/// Suite files are researcher input: YAML is read without recursion, with stated limits (depth 64, 100,000 nodes) and
/// without anchors or aliases. Before, 60 KB of nested '[' overflowed the stack and took the whole web process down.
/// </summary>
public sealed class SuiteFilesLimitsTests
{
    [Fact]
    public void Deep_nesting_is_refused_not_a_stack_overflow()
    {
        var bomb = "name: x\nexperiments: " + new string('[', 60_000) + new string(']', 60_000);
        var ex = Assert.Throws<FormatException>(() => SuiteFiles.Parse(bomb));
        Assert.Contains("deeper than 64", ex.Message);
        var json = "{\"name\": " + new string('[', 60_000) + new string(']', 60_000) + "}";
        Assert.Throws<FormatException>(() => SuiteFiles.Parse(json));
    }

    [Fact]
    public void Anchors_and_aliases_are_refused()
    {
        var sb = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for (int i = 0; i < 8; i++) sb.Append($"{(char)('b' + i)}: &{(char)('b' + i)} [*{(char)('a' + i)}, *{(char)('a' + i)}, *{(char)('a' + i)}, *{(char)('a' + i)}]\n");
        var ex = Assert.Throws<FormatException>(() => SuiteFiles.Parse(sb.ToString()));
        Assert.Contains("anchors and aliases are not supported", ex.Message);
    }

    [Fact]
    public void More_than_the_node_limit_is_refused()
    {
        var wide = "xs: [" + string.Join(",", Enumerable.Repeat("1", SuiteFiles.MaxYamlNodes + 10)) + "]";
        Assert.Contains("nodes", Assert.Throws<FormatException>(() => SuiteFiles.YamlToJson(wide)).Message);
    }

    [Fact]
    public void Ordinary_yaml_reads_as_before()
    {
        var node = SuiteFiles.YamlToJson("name: demo\nseeds: [1, 2]\nmatrix:\n  lr: [0.1, 1e-3]\n  quoted: '5'\nempty:\nflag: true\n")!;
        Assert.Equal("demo", node["name"]!.GetValue<string>());
        Assert.Equal(2, node["seeds"]!.AsArray().Count);
        Assert.Equal(0.001, node["matrix"]!["lr"]![1]!.GetValue<double>());
        Assert.Equal("5", node["matrix"]!["quoted"]!.GetValue<string>());
        Assert.Null(node["empty"]);
        Assert.True(node["flag"]!.GetValue<bool>());
        Assert.Contains("duplicate key", Assert.Throws<FormatException>(() => SuiteFiles.YamlToJson("a: 1\na: 2\n")).Message);
        foreach (var (file, text) in SuiteFiles.BuiltIn()) Assert.NotNull(SuiteFiles.Parse(text).Name);
    }
}
