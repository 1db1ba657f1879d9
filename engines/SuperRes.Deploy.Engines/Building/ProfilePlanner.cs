using System.Globalization;
using SuperRes.Deploy.Engines.Configuration;

namespace SuperRes.Deploy.Engines.Building;

/// <summary>
/// Plans a small set of TensorRT optimization profiles from target image sizes.
/// <list type="number">
/// <item>Each target, in landscape and (unless disabled) portrait orientation, becomes the shape the engine must accept:
/// the image rounded up to a size the model accepts (multiple-of / minimum rules from the analysis; the runner pads).</item>
/// <item>A target is served whole when its shape is within <c>max_tile</c> and, at that shape, every tensor of the graph
/// stays under TensorRT's 2^31 element limit and the peak activation memory under the budget. Otherwise it is tiled with
/// the largest square tile (≤ max_tile, valid for the model) that meets the same limits; a side shorter than the tile
/// keeps its own length.</item>
/// <item>The distinct shapes are grouped into at most <c>max_profiles</c> boxes by repeatedly joining the two groups whose
/// joint box widens the ranges least (sum of log max/min per axis: narrow ranges give TensorRT better tactics,
/// TensorRT#1166), joining only where the box's max shape still meets the limits. When no allowed join is left, the
/// largest whole-image shape is demoted to tiles, which always fit.</item>
/// <item>Each box becomes a profile: min and max are its corners (never 0, vs-mlrt#20), opt is the shape most targets
/// use (the larger one on a tie).</item>
/// </list>
/// The result is deterministic: the same request and model give the same plan.
/// </summary>
public static class ProfilePlanner
{
    public static ProfilePlan Plan(ProfilePlanRequest request, IProfileSizeModel model)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(model);
        Check(request);
        return new Planner(request, model).Run();
    }

    private static void Check(ProfilePlanRequest request)
    {
        if (request.Targets.Count == 0)
        {
            throw DeployException.BadInput("the profile planner needs at least one target size (targets.sizes)");
        }

        if (request.Targets.FirstOrDefault(t => t.Width < 1 || t.Height < 1) is { } bad)
        {
            throw DeployException.BadInput($"target '{bad.Name}' has a non-positive size {bad.Width}x{bad.Height}");
        }

        if (request.Batch < 1 || request.MaxProfiles < 1 || request.MaxTile is < 1 || request.ElementLimit < 1 || request.ActivationMemoryBudget is < 1)
        {
            throw DeployException.BadInput(
                $"profile planning needs batch ≥ 1, max_profiles ≥ 1, max_tile ≥ 1 and a positive budget (got batch {request.Batch}, max_profiles {request.MaxProfiles}, max_tile {request.MaxTile}, budget {request.ActivationMemoryBudget})");
        }
    }

    /// <summary>One target in one orientation, and how it is served.</summary>
    private sealed class Demand(string target, TargetOrientation orientation, long width, long height, long roundedHeight, long roundedWidth, string roundingNote)
    {
        public string Target { get; } = target;

        public TargetOrientation Orientation { get; } = orientation;

        public long Width { get; } = width;

        public long Height { get; } = height;

        public long RoundedHeight { get; } = roundedHeight;

        public long RoundedWidth { get; } = roundedWidth;

        public string RoundingNote { get; } = roundingNote;

        public bool Tiled { get; set; }

        public string TileReason { get; set; } = string.Empty;

        public long EngineHeight { get; set; } = roundedHeight;

        public long EngineWidth { get; set; } = roundedWidth;

        public string Label => string.Create(CultureInfo.InvariantCulture, $"{Target} {Orientation.ToString().ToLowerInvariant()} {Width}x{Height}");
    }

    /// <summary>A group of engine shapes that one profile will cover.</summary>
    private sealed class Group(List<(long H, long W)> points, List<string> joins)
    {
        public List<(long H, long W)> Points { get; } = points;

        public List<string> Joins { get; } = joins;

        public long MinH => Points.Min(p => p.H);

        public long MaxH => Points.Max(p => p.H);

        public long MinW => Points.Min(p => p.W);

        public long MaxW => Points.Max(p => p.W);

        public double Spread => Math.Log((double)MaxH / MinH) + Math.Log((double)MaxW / MinW);
    }

    private sealed class Planner(ProfilePlanRequest request, IProfileSizeModel model)
    {
        private readonly long _batch = model.FixedBatch ?? request.Batch;
        private readonly List<string> _notes = [];
        private (long H, long W, string Bound)? _tile;
        private long _largestSide = 1;

        public ProfilePlan Run()
        {
            if (model.FixedBatch is { } fixedBatch && fixedBatch != request.Batch)
            {
                _notes.Add(string.Create(CultureInfo.InvariantCulture, $"batch {fixedBatch}: the model declares it static or its graph pins it (targets.batch {request.Batch} ignored)"));
            }

            var demands = Demands();
            foreach (var d in demands)
            {
                Serve(d);
            }

            var groups = Group(demands);
            return Build(demands, groups);
        }

        // ---- step 1: targets → shapes the engine must accept -------------------------------------------------------

        private List<Demand> Demands()
        {
            var result = new List<Demand>();
            var seen = new HashSet<(long, long)>();
            foreach (var target in request.Targets)
            {
                var orientations = new List<(long W, long H)> { (target.Width, target.Height) };
                if (request.BothOrientations && target.Width != target.Height)
                {
                    orientations.Add((target.Height, target.Width));
                }

                foreach (var (w, h) in orientations)
                {
                    if (!seen.Add((w, h)))
                    {
                        continue;
                    }

                    var orientation = w > h ? TargetOrientation.Landscape : w < h ? TargetOrientation.Portrait : TargetOrientation.Square;
                    // A fixed axis shorter than the image cannot hold it whole: such images are tiled (see Serve).
                    var rh = model.Height.RoundUp(h) ?? h;
                    var rw = model.Width.RoundUp(w) ?? w;
                    var notes = new List<string>();
                    if (rh != h)
                    {
                        notes.Add(string.Create(CultureInfo.InvariantCulture, $"height {h}→{rh} ({model.Height.Describe()}; the runner pads)"));
                    }

                    if (rw != w)
                    {
                        notes.Add(string.Create(CultureInfo.InvariantCulture, $"width {w}→{rw} ({model.Width.Describe()}; the runner pads)"));
                    }

                    _largestSide = Math.Max(_largestSide, Math.Max(rh, rw));
                    result.Add(new Demand(target.Name, orientation, w, h, rh, rw, string.Join("; ", notes)));
                }
            }

            return result;
        }

        // ---- step 2: whole image or tiles ---------------------------------------------------------------------------

        private void Serve(Demand d)
        {
            var fixedAxis = !model.Height.Accepts(d.RoundedHeight) ? ("height", model.Height) : !model.Width.Accepts(d.RoundedWidth) ? ("width", model.Width) : default;
            var reason = fixedAxis.Item2 is { } rule
                ? $"the model's {fixedAxis.Item1} must be {rule.Describe()}"
                : request.MaxTile is { } maxTile && (d.RoundedHeight > maxTile || d.RoundedWidth > maxTile)
                    ? string.Create(CultureInfo.InvariantCulture, $"its side {Math.Max(d.RoundedHeight, d.RoundedWidth)} exceeds max_tile {maxTile}")
                    : LimitBroken(d.RoundedHeight, d.RoundedWidth);
            if (reason is null)
            {
                return;
            }

            Tile(d, reason);
        }

        private void Tile(Demand d, string reason)
        {
            var (th, tw, _) = TileSize();
            d.Tiled = true;
            d.TileReason = reason;
            d.EngineHeight = Math.Min(th, d.RoundedHeight);
            d.EngineWidth = Math.Min(tw, d.RoundedWidth);
            if (LimitBroken(d.EngineHeight, d.EngineWidth) is not null)
            {
                // Only for a model whose cost is not monotone in the size: fall back to the full tile (the tiler pads).
                d.EngineHeight = th;
                d.EngineWidth = tw;
            }
        }

        /// <summary>The largest square tile (per-axis rounded down to a valid size) within max_tile and the limits.</summary>
        private (long H, long W, string Bound) TileSize()
        {
            if (_tile is { } known)
            {
                return known;
            }

            var smallest = Math.Max(model.Height.Smallest, model.Width.Smallest);
            var largest = request.MaxTile ?? Math.Max(smallest, _largestSide);
            if (largest < smallest)
            {
                throw DeployException.BadInput(string.Create(CultureInfo.InvariantCulture,
                    $"max_tile {largest} is below the smallest size the model accepts ({smallest})"));
            }

            // A model that pads an axis to a multiple of k inside wastes the padding on any other tile size.
            static long Aligned(AxisSizeRule rule, long side) =>
                (rule.PaddedMultiple is { } k && side >= k ? rule.RoundDown(side / k * k) : null) ?? rule.RoundDown(side) ?? 0;

            bool Fits(long side, out long h, out long w)
            {
                h = Aligned(model.Height, side);
                w = Aligned(model.Width, side);
                return h > 0 && w > 0 && LimitBroken(h, w) is null;
            }

            if (!Fits(smallest, out var sh, out var sw))
            {
                throw DeployException.BadInput(string.Create(CultureInfo.InvariantCulture,
                    $"no engine shape fits the limits: even the smallest tile {Nchw(sh, sw)} breaks them: {LimitBroken(sh, sw)}"));
            }

            var low = smallest;
            // Binary search for the largest side that fits (the cost grows with the size).
            long lo = low, hi = largest;
            while (lo < hi)
            {
                var mid = lo + ((hi - lo + 1) / 2);
                if (Fits(mid, out _, out _))
                {
                    lo = mid;
                }
                else
                {
                    hi = mid - 1;
                }
            }

            Fits(lo, out var th, out var tw);
            string bound;
            if (lo >= largest)
            {
                bound = request.MaxTile is { } mt
                    ? string.Create(CultureInfo.InvariantCulture, $"max_tile {mt}")
                    : "the largest target side";
            }
            else
            {
                var nextH = model.Height.RoundUp(th + (model.Height.PaddedMultiple ?? 1)) ?? th;
                var nextW = model.Width.RoundUp(tw + (model.Width.PaddedMultiple ?? 1)) ?? tw;
                bound = string.Create(CultureInfo.InvariantCulture, $"the next larger tile {Nchw(nextH, nextW)}: ") + (LimitBroken(nextH, nextW) ?? "max_tile");
            }

            _tile = (th, tw, bound);
            _notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"tile {Nchw(th, tw)}: the largest square tile the model accepts within the limits{(model.Height.PaddedMultiple is { } ph && ph > 1 ? $", a multiple of {ph} (the model pads to it)" : string.Empty)}; bounded by {bound}"));
            return _tile.Value;
        }

        /// <summary>Which limit the shape breaks at its max (null when it meets them all).</summary>
        private string? LimitBroken(long h, long w)
        {
            var cost = model.CostAt(_batch, h, w);
            if (cost.LargestTensorElements > request.ElementLimit)
            {
                return string.Create(CultureInfo.InvariantCulture,
                    $"tensor '{cost.LargestTensor}' would have {ProfilePlan.Num(cost.LargestTensorElements)} elements at {Nchw(h, w)}, over TensorRT's {ProfilePlan.Num(request.ElementLimit)}");
            }

            if (request.ActivationMemoryBudget is { } budget && cost.PeakActivationBytes > budget)
            {
                return string.Create(CultureInfo.InvariantCulture,
                    $"peak activation memory {ByteSize.Format(cost.PeakActivationBytes)} at {Nchw(h, w)} exceeds the budget {ByteSize.Format(budget)}");
            }

            return null;
        }

        // ---- step 3: group shapes into at most max_profiles boxes --------------------------------------------------

        private List<Group> Group(List<Demand> demands)
        {
            while (true)
            {
                var groups = demands
                    .Select(d => (d.EngineHeight, d.EngineWidth))
                    .Distinct()
                    .OrderBy(p => p.EngineHeight * p.EngineWidth).ThenBy(p => p.EngineHeight).ThenBy(p => p.EngineWidth)
                    .Select(p => new Group([p], []))
                    .ToList();
                var stuck = false;
                while (groups.Count > request.MaxProfiles && !stuck)
                {
                    stuck = !JoinCheapest(groups);
                }

                if (!stuck)
                {
                    return groups;
                }

                var demote = demands.Where(d => !d.Tiled)
                    .OrderByDescending(d => d.EngineHeight * d.EngineWidth).ThenByDescending(d => d.EngineHeight).ThenByDescending(d => d.EngineWidth)
                    .FirstOrDefault();
                if (demote is null)
                {
                    throw DeployException.BadInput(string.Create(CultureInfo.InvariantCulture,
                        $"the targets' shapes cannot be grouped into {request.MaxProfiles} profile(s) within the limits; raise targets.max_profiles or lower targets.max_tile"));
                }

                var shape = (demote.EngineHeight, demote.EngineWidth);
                foreach (var d in demands.Where(d => !d.Tiled && (d.EngineHeight, d.EngineWidth) == shape))
                {
                    Tile(d, string.Create(CultureInfo.InvariantCulture,
                        $"max_profiles {request.MaxProfiles}: no profile can also hold {Nchw(d.RoundedHeight, d.RoundedWidth)} without its max shape breaking the limits"));
                }
            }
        }

        /// <summary>
        /// Joins the pair whose joint box has the narrowest ranges (complete linkage: the widest profile stays as narrow
        /// as it can) and still meets the limits at its max shape; false when no pair may be joined.
        /// </summary>
        private bool JoinCheapest(List<Group> groups)
        {
            (int A, int B, double Spread, double Growth)? best = null;
            for (var a = 0; a < groups.Count; a++)
            {
                for (var b = a + 1; b < groups.Count; b++)
                {
                    // Every shape is within max_tile, so their box is too; only the cost limits can forbid a join.
                    var joint = new Group([.. groups[a].Points, .. groups[b].Points], []);
                    var spread = joint.Spread;
                    var growth = spread - groups[a].Spread - groups[b].Spread;
                    if (best is { } current && (spread > current.Spread + 1e-12 || (spread > current.Spread - 1e-12 && growth >= current.Growth - 1e-12)))
                    {
                        continue;
                    }

                    if (LimitBroken(joint.MaxH, joint.MaxW) is null)
                    {
                        best = (a, b, spread, growth);
                    }
                }
            }

            if (best is not { } chosen)
            {
                return false;
            }

            var (ga, gb) = (groups[chosen.A], groups[chosen.B]);
            var merged = new Group([.. ga.Points, .. gb.Points], [.. ga.Joins, .. gb.Joins]);
            merged.Joins.Add($"joined {Shapes(ga)} with {Shapes(gb)}: max_profiles {request.MaxProfiles} allows no separate profile, and this join gives the narrowest ranges");
            groups.RemoveAt(chosen.B);
            groups[chosen.A] = merged;
            return true;
        }

        private string Shapes(Group g) => string.Join(", ", g.Points.Select(p => Nchw(p.H, p.W)));

        private string Nchw(long h, long w) => string.Create(CultureInfo.InvariantCulture, $"{_batch}x{model.Channels}x{h}x{w}");

        // ---- step 4: groups → profiles ------------------------------------------------------------------------------

        private ProfilePlan Build(List<Demand> demands, List<Group> groups)
        {
            var ordered = groups
                .OrderBy(g => g.MaxH * g.MaxW).ThenBy(g => g.MaxH).ThenBy(g => g.MaxW).ThenBy(g => g.MinH * g.MinW)
                .ToList();
            var minBatch = model.FixedBatch ?? 1;
            var profiles = new List<PlannedProfile>();
            var assignments = new List<TargetAssignment>();
            for (var index = 0; index < ordered.Count; index++)
            {
                var g = ordered[index];
                var members = demands.Where(d => g.Points.Contains((d.EngineHeight, d.EngineWidth))).ToList();
                var opt = g.Points
                    .OrderByDescending(p => members.Count(d => (d.EngineHeight, d.EngineWidth) == p))
                    .ThenByDescending(p => p.H * p.W).ThenByDescending(p => p.H).ThenByDescending(p => p.W)
                    .First();
                var min = new ProfileShape(minBatch, model.Channels, g.MinH, g.MinW);
                var optShape = new ProfileShape(_batch, model.Channels, opt.H, opt.W);
                var max = new ProfileShape(_batch, model.Channels, g.MaxH, g.MaxW);
                CheckValid(index, "min", min);
                CheckValid(index, "opt", optShape);
                CheckValid(index, "max", max);
                var maxCost = model.CostAt(max.Batch, max.Height, max.Width);
                var optCost = model.CostAt(optShape.Batch, optShape.Height, optShape.Width);
                var minCost = model.CostAt(min.Batch, min.Height, min.Width);
                var covers = members.Select(d => d.Label).ToList();
                profiles.Add(new PlannedProfile(index, min, optShape, max, covers, minCost, optCost, maxCost,
                    Reasons(g, members, opt, max, maxCost)));
                assignments.AddRange(members.Select(d => new TargetAssignment(d.Target, d.Orientation, d.Width, d.Height, d.EngineHeight, d.EngineWidth,
                    d.Tiled, string.Join("; ", new[] { d.TileReason, d.Tiled ? string.Empty : d.RoundingNote }.Where(s => s.Length > 0)), index)));
            }

            var order = demands.Select((d, i) => (d.Label, i)).ToDictionary(x => x.Label, x => x.i, StringComparer.Ordinal);
            assignments = [.. assignments.OrderBy(a => order[a.Label])];
            return new ProfilePlan(model.InputName, _batch, model.Channels, model.Height, model.Width, profiles, assignments,
                _tile?.H, _tile?.W, request.ActivationMemoryBudget, request.ElementLimit, request.MaxProfiles, _notes);
        }

        private List<string> Reasons(Group g, List<Demand> members, (long H, long W) opt, ProfileShape max, ShapeCost maxCost)
        {
            string Who((long H, long W) point) => string.Join(", ", members.Where(d => (d.EngineHeight, d.EngineWidth) == point)
                .Select(d => d.Tiled ? $"tiles of {d.Label}" : d.Label));
            var reasons = new List<string>
            {
                $"covers: {string.Join(", ", members.Select(d => d.Tiled ? $"{d.Label} (tiled)" : d.Label))}",
            };
            var budget = request.ActivationMemoryBudget is { } b ? $" ≤ budget {ByteSize.Format(b)}" : " (no budget)";
            var unknown = maxCost.UnknownSizes > 0
                ? string.Create(CultureInfo.InvariantCulture, $"; {maxCost.UnknownSizes} tensor size(s) unknown there, checked on the others")
                : string.Empty;
            var limits = string.Create(CultureInfo.InvariantCulture,
                $"at max: peak activation {ByteSize.Format(maxCost.PeakActivationBytes)}{budget}; largest tensor '{maxCost.LargestTensor}' {ProfilePlan.Num(maxCost.LargestTensorElements)} elements ≤ {ProfilePlan.Num(request.ElementLimit)}{unknown}");
            if (g.Points.Count == 1)
            {
                reasons.Add($"min = opt = max {max}: the one engine shape these targets need (a fixed shape leaves TensorRT the narrowest tactic choice)");
                reasons.Add(limits);
                reasons.AddRange(g.Joins);
                return reasons;
            }

            var minPoint = g.Points.Where(p => p.H == g.MinH && p.W == g.MinW).Select(p => ((long, long)?)p).FirstOrDefault();
            reasons.Add(minPoint is { } mp
                ? string.Create(CultureInfo.InvariantCulture, $"min {Nchw(g.MinH, g.MinW)}: the smallest covered shape ({Who(mp)})")
                : string.Create(CultureInfo.InvariantCulture, $"min {Nchw(g.MinH, g.MinW)}: the smallest height and the smallest width of the covered shapes"));
            var count = members.Count(d => (d.EngineHeight, d.EngineWidth) == opt);
            reasons.Add(string.Create(CultureInfo.InvariantCulture,
                $"opt {Nchw(opt.H, opt.W)}: {Who(opt)}; used by {count} of the {members.Count} target shapes here, the most (the larger shape on a tie)"));
            var maxPoint = g.Points.Where(p => p.H == g.MaxH && p.W == g.MaxW).Select(p => ((long, long)?)p).FirstOrDefault();
            reasons.Add(maxPoint is { } xp
                ? $"max {max}: the largest covered shape ({Who(xp)})"
                : $"max {max}: the largest height and the largest width of the covered shapes");
            reasons.Add(limits);
            reasons.AddRange(g.Joins);
            return reasons;
        }

        private void CheckValid(int index, string corner, ProfileShape shape)
        {
            var violations = model.ViolationsAt(shape.Batch, shape.Height, shape.Width);
            if (violations.Count > 0)
            {
                throw new InvalidOperationException(
                    $"profile planner bug: profile {index} {corner} {shape} breaks the model's constraints: {violations[0]}");
            }
        }
    }
}
