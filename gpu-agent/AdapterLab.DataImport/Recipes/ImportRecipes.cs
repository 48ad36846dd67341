namespace AdapterLab.DataImport.Recipes;

/// <summary>The datasets <c>./platform data import</c> knows, each pinned to one package version.</summary>
public static class ImportRecipes
{
    public static readonly IReadOnlyList<ImportRecipe> All =
    [
        new("mnist",
            "10,000 real handwritten digits (0–9) from the MNIST database, 28×28 grey",
            "mnist", "1.1.0", "MIT", "https://github.com/cazala/mnist",
            Enumerable.Range(0, 10).Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList(),
            new JsonDigitsReader("digits")),
        new("fashion-mnist",
            "70,000 real photographs of clothing in 10 classes (Fashion-MNIST, Zalando Research), 28×28 grey",
            "fashion-mnist", "1.1.0", "MIT", "https://github.com/guiga-zalu/fashion-mnist (the Fashion-MNIST data of Zalando Research; class names are its standard labels 0–9)",
            ["0-tshirt-top", "1-trouser", "2-pullover", "3-dress", "4-coat", "5-sandal", "6-shirt", "7-sneaker", "8-bag", "9-ankle-boot"],
            new JsonDigitsReader("clothes")),
    ];

    public static ImportRecipe? Find(string name) => All.FirstOrDefault(r => r.Name == name);
}
