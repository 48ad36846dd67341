using AdapterLab.Training.Datasets.Folders;
using StbImageWriteSharp;
using WriteComponents = StbImageWriteSharp.ColorComponents;

namespace AdapterLab.Inference.Tests;

/// <summary>
/// The hostile-input generator for what the inference host (and a folder dataset) decodes: a valid PNG and JPEG, then
/// truncated, bit-flipped, spliced and random bytes and canvases that declare a huge size. Every case either decodes or
/// fails with <see cref="InvalidDataException"/> (a 400 naming the image) — never another exception, never a hang past
/// its deadline (<see cref="ImageResize.DecodeUntrusted"/>). The
/// seed is the date (printed in failures), so each day explores new cases.
/// </summary>
public sealed class ImageDecodeHostileTests
{
    [Fact]
    public void Mutated_images_decode_or_fail_with_a_clear_reason()
    {
        int seed = int.Parse(DateTime.UtcNow.ToString("yyyyMMdd"));
        var rng = new Random(seed);
        var rgb = Enumerable.Range(0, 24 * 20 * 3).Select(i => (byte)(i * 31 % 256)).ToArray();
        var valid = new[] { Encode(w => new ImageWriter().WritePng(rgb, 24, 20, WriteComponents.RedGreenBlue, w)), Encode(w => new ImageWriter().WriteJpg(rgb, 24, 20, WriteComponents.RedGreenBlue, w, 90)) };
        var destination = new float[3 * 32 * 32];
        foreach (var v in valid) ImageResize.Decode(v, 32, destination);   // the originals decode

        int decoded = 0, refused = 0, stuckAtStart = ImageResize.StuckDecodes;
        // Each image that never finishes leaves a spinning thread in this process: after two, the point is made and the
        // rest of the suite should not pay for more.
        for (int i = 0; i < 1_500 && ImageResize.StuckDecodes - stuckAtStart < 2; i++)
        {
            var source = valid[i % 2];
            byte[] bytes = (i % 6) switch
            {
                0 => source[..rng.Next(source.Length)],                                             // truncated
                1 => Flip(source, rng, rng.Next(1, 8)),                                             // a few bits
                2 => source[..rng.Next(8, 40)].Concat(RandomBytes(rng, rng.Next(0, 2_000))).ToArray(), // a real header, garbage after
                3 => RandomBytes(rng, rng.Next(0, 4_000)),                                           // noise
                4 => HugeCanvas(source, rng),                                                        // a declared size far past the limit
                _ => Flip(source, rng, rng.Next(20, 200)),
            };
            try
            {
                ImageResize.DecodeUntrusted(bytes, 32, destination, TimeSpan.FromSeconds(2));
                decoded++;
            }
            catch (InvalidDataException)
            {
                refused++;
            }
            catch (Exception ex)
            {
                Assert.Fail($"seed {seed}, case {i} ({bytes.Length} bytes): {ex.GetType().Name}: {ex.Message}");
            }
        }
        // A hundred refusals, or a quarter of the cases when fewer ran: a seed that finds two images the decoder never
        // finishes ends the loop early (seed 20261207 did after 78 cases), and those were refused at their deadline.
        int tried = decoded + refused;
        Assert.True(tried > 0 && refused >= Math.Min(100, tried / 4), $"seed {seed}: only {refused} refusals of {tried} cases ({decoded} decoded): the mutations are too mild to test anything");
    }

    [Fact]
    public void A_jpeg_the_decoder_never_finishes_is_refused_at_its_deadline()
    {
        // Found by the generator above (seed 20261206, case 83): stb_image's port loops forever on it.
        var hang = Convert.FromBase64String(HangingJpeg);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ex = Assert.Throws<InvalidDataException>(() => ImageResize.DecodeUntrusted(hang, 32, new float[3 * 32 * 32], TimeSpan.FromSeconds(1)));
        Assert.Contains("did not decode within 1 s", ex.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10));
        Assert.True(ImageResize.StuckDecodes >= 1);
    }

    private const string HangingJpeg = "/9j/5CAwSkZJRgABCQAAAQABAAD/2wGEAIMCAgNCAgMDAwMEAwMEBQgFBQQEDQoHBwYIDAoMDAsKCwsNDhIYDQ4BDksLEBYQERMUFZ0VDA8XGBYUGBIUFRQBAwQEBQQFCQUFSxQNCw0UFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQVFBQUFhQUFBQUFBQUFBQUFBQUFP/ABBEIABQAGAMBIgACEYEDEQH/xAGiAABBBQEBAQEBAwAAACAAAAAAAQIDBAUGBwgJCgsYAAIJAwMCBAMFBQQEAAoBfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBk6JSYnKCkqNDU2Nzg5OkNEZUZHSElKU1RVVldZWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhgeIiYqSk5SVlpeYmZqio6Slpqaoqaqys7S1tre4ubrCw8TFxsfoycrS09TV1teY2drh4vLk5ebn6Onq8fLz9PX29/j5+gEAByEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoLEQACAQIEBAMEBwUEBAABAncAAQILEQQFITEGFkFRB2FxEyIygQgUQpGhscEJIzNS8BVictEKFiQ04SXxFxgZGiYnKCkqNTY3ODk6Q2RFRkdISUpTVFVWV1hZWmNkZWZnSGlqc3R1dnd4eXqCg5SFhoeIiYqSk5yVlpeYmZqio6Slpqeoqaiys7S1tre4ubrCg8TFxofIycrS09TV1tPY2dri4+Sl5ufI6ery8/T19ve4+fr/2gBNAwEAAhEDERA/AGWVr/bM4g0ti40vESWy6dixhe3eWOaDS/5hFHJKGltzuOUFwZbdthYUl15UmnxW2n3MVnviXetpCIIWhmAMXlbziBZZ1yhkDJbVlJRRAsowass11YR3Gotc3yTyTZWaE20VzKyoswkUbfIMmCKE5Z0hguhDMGZZPmmhFxeefGn6uM/anmEqlWYHzIbl7lkUld37uK9SJRZHWO5KsCWpXtFz57rXbZv+/LeT01UdDtKN9S1zRgk3FU18oO3lvNrWzfVaNoc9vBbSXMuoTIl9yWEqT5jluDNLKuJixBt0mnHlurMj2t2keMskmDW/4RW2/wChEs//AA4E3/yXSeWdJvpoiqLLC8wmPNVCXBIXyorlpI4sq67T7F4F/dOnk3Qi6tS/2t4Y/wCfr4M/+Cb/AO0UfV6tRL2TlJW6TlbRullCMtLd7bPRag1Um71oQk/+nm0mvlzxSv21fd6q9iKB346lLdzS30lqPEkCtdHzPMGleXDCZQRhxNA/kzo+UdEwhVdQ9U9T1W5e1X9tC/lW9rb6/cxRgbwzaXFE1t5m/d5u+K4kt5DJuLw7VyEUMNG0/wCPfXv+m3xD3wjRkFYeo/8AIV1r/rw8dX8ApLS160aVOWaOm4q0acWl2fNLH8F6HkwqzeBqV7++pwSfVJ6faXZaLa3bY0vGN5J4Gl1JdG/2aWxsLnUYLlyZJlktdMt7y2+diSTH5j2+8/vGgNlu7YBHz7/w3l8Xv+g3B/34P/BVe9/F/wD4+3EH/YB9T/1HbSv3+rDLMFhcXhYVsRSjOUlFttJttxi29V1f9WScsavZ0qHJpeLb9faTX5pI/9k=";

    private static byte[] Encode(Action<Stream> write)
    {
        using var stream = new MemoryStream();
        write(stream);
        return stream.ToArray();
    }

    private static byte[] Flip(byte[] source, Random rng, int count)
    {
        var copy = (byte[])source.Clone();
        for (int k = 0; k < count; k++) copy[rng.Next(copy.Length)] ^= (byte)(1 << rng.Next(8));
        return copy;
    }

    private static byte[] RandomBytes(Random rng, int n)
    {
        var b = new byte[n];
        rng.NextBytes(b);
        return b;
    }

    /// <summary>The PNG with its IHDR width and height set to 30,000 × 30,000 (the header's CRC left stale, as an attacker might).</summary>
    private static byte[] HugeCanvas(byte[] source, Random rng)
    {
        var copy = (byte[])source.Clone();
        if (copy.Length > 24 && copy[1] == (byte)'P')
        {
            copy[16] = 0; copy[17] = 0; copy[18] = 0x75; copy[19] = 0x30;
            copy[20] = 0; copy[21] = 0; copy[22] = 0x75; copy[23] = 0x30;
        }
        else copy[rng.Next(copy.Length)] ^= 0xFF;
        return copy;
    }
}
