// The engine's explanation of a pair: one bar per criterion (how well the pair meets
// it), with the points it adds to the total and the engine's own words, in the user's
// language.
import type { MatchScore } from "./gen/kompis/v1/matching_pb";
import { enumText } from "./lib/enums";
import { explanationText } from "./lib/explain";
import { useUi } from "./ui";

export function ScoreBars(props: { score: MatchScore | undefined }) {
  const { lang } = useUi();
  const criteria = props.score?.criteria ?? [];
  return (
    <div class="bars" data-total={Math.round(props.score?.total ?? 0)}>
      {criteria.map((c) => {
        const label = enumText("MatchCriterion", c.criterion, lang);
        const percent = Math.round(c.score * 100);
        const why = explanationText(c.explanation, lang);
        return (
          <div class="bar" key={c.criterion} data-criterion={c.criterion} title={why}>
            <span>{label}</span>
            <div class="track" role="img" aria-label={`${label}: ${percent} %. ${why}`}>
              <div class="fill good" style={{ width: `${percent}%` }} />
            </div>
            <span>+{c.contribution.toFixed(1)}</span>
            {why && <span class="why" dir="auto">{why}</span>}
          </div>
        );
      })}
    </div>
  );
}
