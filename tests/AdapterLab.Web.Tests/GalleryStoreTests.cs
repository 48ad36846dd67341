using System.IO.Compression;
using System.Text;
using AdapterLab.Web.Dashboard;

namespace AdapterLab.Web.Tests;

/// <summary>Gallery zips come from agents, which are not trusted: only well-formed galleries open, entry by entry.</summary>
public sealed class GalleryStoreTests
{
    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3];

    private const string Manifest = """
        { "format": "adapterlab-gallery-1", "step": 10, "imageSize": 32, "tasks": ["depth"],
          "items": [ { "domain": "fog", "index": 0, "input": "fog/0/input.png",
                       "tasks": { "depth": { "prediction": "fog/0/depth-prediction.png", "truth": "fog/0/depth-truth.png" } } } ] }
        """;

    private static byte[] Zip(params (string Name, byte[] Bytes)[] entries)
    {
        using var m = new MemoryStream();
        using (var zip = new ZipArchive(m, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, bytes) in entries)
            {
                using var s = zip.CreateEntry(name).Open();
                s.Write(bytes);
            }
        return m.ToArray();
    }

    private static (string, byte[])[] Good() =>
    [
        ("manifest.json", Encoding.UTF8.GetBytes(Manifest)),
        ("fog/0/input.png", Png), ("fog/0/depth-prediction.png", Png), ("fog/0/depth-truth.png", Png),
    ];

    [Fact]
    public void A_well_formed_gallery_opens_with_every_image_by_its_manifest_path()
    {
        var (opened, problem) = GalleryStore.Parse("h", Zip(Good()));
        Assert.Null(problem);
        Assert.Equal(10, opened!.View.Step);
        var item = Assert.Single(opened.View.Items);
        Assert.Equal(("fog", 0), (item.Domain, item.Index));
        Assert.Equal("fog/0/depth-prediction.png", item.Tasks["depth"].Prediction);
        Assert.Equal(Png, opened.Images["fog/0/depth-truth.png"]);
    }

    [Fact]
    public void Malformed_galleries_are_refused_with_a_reason()
    {
        var notPng = Good().Select(e => e.Item1 == "fog/0/input.png" ? (e.Item1, Encoding.UTF8.GetBytes("<svg onload=alert(1)>")) : e).ToArray();
        var missingImage = Good().Where(e => e.Item1 != "fog/0/depth-truth.png").ToArray();
        var noManifest = Good().Where(e => e.Item1 != "manifest.json").ToArray();
        var badJson = Good().Select(e => e.Item1 == "manifest.json" ? (e.Item1, Encoding.UTF8.GetBytes("{\"format\": [[[")) : e).ToArray();
        foreach (var (bytes, why) in new[]
        {
            (Zip(notPng), "not a PNG"), (Zip(missingImage), "not in the zip"), (Zip(noManifest), "no manifest"),
            (Zip(badJson), "not a gallery zip"), (Encoding.UTF8.GetBytes("PK not a zip"), "not a gallery zip"),
        })
        {
            var (opened, problem) = GalleryStore.Parse("h", bytes);
            Assert.Null(opened);
            Assert.Contains(why, problem);
        }
    }

    [Fact]
    public void Entries_outside_the_expected_names_are_never_served()
    {
        var withExtra = Good().Append(("../../etc/passwd.png", Png)).Append(("fog/0/x.svg", Png)).ToArray();
        var (opened, _) = GalleryStore.Parse("h", Zip(withExtra));
        Assert.Equal(3, opened!.Images.Count);
    }
}
