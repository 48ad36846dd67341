namespace AdapterLab.Training.Optimisation;

/// <summary>Linear warm-up then half-cosine to zero (or constant after warm-up); a pure function of the step, so resumes match.</summary>
public sealed record LearningRateSchedule(double Peak, long TotalSteps, long WarmupSteps, bool Cosine)
{
    /// <summary>Learning rate for the update taken at 0-based <paramref name="step"/>.</summary>
    public double At(long step)
    {
        if (WarmupSteps > 0 && step < WarmupSteps) return Peak * (step + 1) / WarmupSteps;
        if (!Cosine) return Peak;
        long span = Math.Max(1, TotalSteps - WarmupSteps);
        double progress = Math.Clamp((double)(step - WarmupSteps) / span, 0, 1);
        return Peak * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
