namespace AdapterLab.Training.Datasets.ShapesWorld;

/// <summary>Object shapes; the order matches the class order of the shape label families in ShapesWorldCatalogue.</summary>
public enum ShapeKind
{
    Disc = 0,
    Square = 1,
    Triangle = 2,
    Ring = 3,
}
