import { useState } from "preact/hooks";

type Theme = "system" | "light" | "dark";

interface Props {
  theme: Theme;
}

const OPTIONS: { value: Theme; label: string }[] = [
  { value: "system", label: "System" },
  { value: "light", label: "Light" },
  { value: "dark", label: "Dark" },
];

/** Remembers the theme in a cookie the server reads, so the page never flashes the wrong one. */
export function applyTheme(theme: Theme): void {
  document.cookie = `p2pos_theme=${theme}; Path=/; SameSite=Strict; Max-Age=31536000`;
  if (theme === "system") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

/** Settings: System / Light / Dark. */
export default function ThemeToggle({ theme }: Props) {
  const [current, setCurrent] = useState<Theme>(
    OPTIONS.some((o) => o.value === theme) ? theme : "system",
  );
  return (
    <fieldset class="seg theme-toggle">
      <legend>Theme</legend>
      {OPTIONS.map((o) => (
        <label key={o.value} class="seg-option">
          <input
            type="radio"
            name="theme"
            value={o.value}
            checked={current === o.value}
            onChange={() => {
              setCurrent(o.value);
              applyTheme(o.value);
            }}
          />
          <span>{o.label}</span>
        </label>
      ))}
    </fieldset>
  );
}
