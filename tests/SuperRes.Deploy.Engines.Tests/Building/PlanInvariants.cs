using SuperRes.Deploy.Engines.Building;

namespace SuperRes.Deploy.Engines.Tests.Building;

/// <summary>
/// The planner's contract, checked on any (request, model, plan): every target in every requested orientation is
/// served by a profile (whole or by tiles that lie within it); min/opt/max obey the model's size rules and are ordered;
/// the element limit and the memory budget hold at every max shape; at most max_profiles profiles; whole images obey
/// max_tile; tiling happens only for a stated reason that holds. Returns the first broken rule, or null.
/// </summary>
internal static class PlanInvariants
{
    public static string? Broken(ProfilePlanRequest request, IProfileSizeModel model, ProfilePlan plan)
    {
        if (plan.Profiles.Count < 1 || plan.Profiles.Count > request.MaxProfiles)
        {
            return $"{plan.Profiles.Count} profiles, limit {request.MaxProfiles}";
        }

        for (var i = 0; i < plan.Profiles.Count; i++)
        {
            var p = plan.Profiles[i];
            if (p.Index != i)
            {
                return $"profile {i} has index {p.Index}";
            }

            foreach (var (name, shape) in new[] { ("min", p.Min), ("opt", p.Opt), ("max", p.Max) })
            {
                if (shape.Batch < 1 || shape.Height < 1 || shape.Width < 1 || shape.Channels != model.Channels)
                {
                    return $"profile {i} {name} {shape} has a zero or wrong dimension";
                }

                if (!model.Height.Accepts(shape.Height) || !model.Width.Accepts(shape.Width))
                {
                    return $"profile {i} {name} {shape} breaks the size rules ({model.Height.Describe()} / {model.Width.Describe()})";
                }

                if (model.ViolationsAt(shape.Batch, shape.Height, shape.Width) is { Count: > 0 } v)
                {
                    return $"profile {i} {name} {shape} violates the model: {v[0]}";
                }
            }

            if (!(p.Min.Batch <= p.Opt.Batch && p.Opt.Batch <= p.Max.Batch
                && p.Min.Height <= p.Opt.Height && p.Opt.Height <= p.Max.Height
                && p.Min.Width <= p.Opt.Width && p.Opt.Width <= p.Max.Width))
            {
                return $"profile {i} is not ordered: {p.Min} / {p.Opt} / {p.Max}";
            }

            var cost = model.CostAt(p.Max.Batch, p.Max.Height, p.Max.Width);
            if (cost.LargestTensorElements > request.ElementLimit)
            {
                return $"profile {i} max {p.Max}: {cost.LargestTensorElements} elements > {request.ElementLimit}";
            }

            if (request.ActivationMemoryBudget is { } budget && cost.PeakActivationBytes > budget)
            {
                return $"profile {i} max {p.Max}: {cost.PeakActivationBytes} B > budget {budget}";
            }
        }

        var expected = new List<(long W, long H)>();
        foreach (var t in request.Targets)
        {
            expected.Add((t.Width, t.Height));
            if (request.BothOrientations)
            {
                expected.Add((t.Height, t.Width));
            }
        }

        foreach (var (w, h) in expected.Distinct())
        {
            var served = plan.Targets.Where(a => a.Width == w && a.Height == h).ToList();
            if (served.Count != 1)
            {
                return $"image {w}x{h} is served {served.Count} times";
            }

            var a = served[0];
            var orientation = w > h ? TargetOrientation.Landscape : w < h ? TargetOrientation.Portrait : TargetOrientation.Square;
            if (a.Orientation != orientation)
            {
                return $"image {w}x{h} labelled {a.Orientation}";
            }

            if (a.Profile < 0 || a.Profile >= plan.Profiles.Count || !plan.Profiles[a.Profile].Contains(a.EngineHeight, a.EngineWidth))
            {
                return $"image {w}x{h}: engine shape {a.EngineHeight}x{a.EngineWidth} not inside its profile {a.Profile}";
            }

            // A fixed axis shorter than the image has no size to round up to: the image must be tiled.
            var roundedH = model.Height.RoundUp(h) ?? h;
            var roundedW = model.Width.RoundUp(w) ?? w;
            if (!a.Tiled)
            {
                if (a.EngineHeight != roundedH || a.EngineWidth != roundedW)
                {
                    return $"image {w}x{h} served whole as {a.EngineHeight}x{a.EngineWidth}, expected {roundedH}x{roundedW}";
                }

                if (request.MaxTile is { } maxTile && Math.Max(roundedH, roundedW) > maxTile)
                {
                    return $"image {w}x{h} served whole although its side exceeds max_tile {maxTile}";
                }
            }
            else
            {
                if (a.Why.Length == 0)
                {
                    return $"image {w}x{h} tiled without a reason";
                }

                if (plan.TileHeight is not { } th || plan.TileWidth is not { } tw || a.EngineHeight > th || a.EngineWidth > tw)
                {
                    return $"image {w}x{h} tiles {a.EngineHeight}x{a.EngineWidth} exceed the plan's tile {plan.TileHeight}x{plan.TileWidth}";
                }

                var needed = !model.Height.Accepts(roundedH) || !model.Width.Accepts(roundedW)
                    || (request.MaxTile is { } mt && Math.Max(roundedH, roundedW) > mt)
                    || a.Why.Contains("max_profiles", StringComparison.Ordinal)
                    || Breaks(request, model.CostAt(plan.Batch, roundedH, roundedW));
                if (!needed)
                {
                    return $"image {w}x{h} tiled although its whole shape {roundedH}x{roundedW} meets every limit ({a.Why})";
                }
            }
        }

        if (plan.Targets.Count != expected.Distinct().Count())
        {
            return $"{plan.Targets.Count} assignments for {expected.Distinct().Count()} images";
        }

        return null;
    }

    public static bool Breaks(ProfilePlanRequest request, ShapeCost cost) =>
        cost.LargestTensorElements > request.ElementLimit
        || (request.ActivationMemoryBudget is { } b && cost.PeakActivationBytes > b);
}
