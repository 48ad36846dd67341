using System.Xml.Linq;

namespace AdapterLab.Contracts.Tests;

/// <summary>MassTransit v9 is commercially licensed: every MassTransit package must stay on 8.5.x.</summary>
public sealed class PackagePolicyTests
{
    [Fact]
    public void Every_MassTransit_package_is_pinned_to_8_5()
    {
        var props = XDocument.Load(Path.Combine(RepoPaths.Root, "Directory.Packages.props"));
        var massTransit = props.Descendants("PackageVersion")
            .Select(e => (Name: (string?)e.Attribute("Include") ?? "", Version: (string?)e.Attribute("Version") ?? ""))
            .Where(p => p.Name.StartsWith("MassTransit", StringComparison.OrdinalIgnoreCase))
            .ToList();
        Assert.NotEmpty(massTransit);
        var offending = massTransit.Where(p => !p.Version.StartsWith("8.5.", StringComparison.Ordinal)).ToList();
        Assert.True(offending.Count == 0, "MassTransit must stay on 8.5.x: " + string.Join(", ", offending.Select(p => $"{p.Name} {p.Version}")));
    }
}
