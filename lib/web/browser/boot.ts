/**
 * Browser side of islands: hydrates every `[data-island=name]` element with
 * the props the server serialised into `data-props`. Browser-only.
 */

import { type ComponentType, h, hydrate } from "preact";

export function boot(name: string, component: ComponentType<Record<string, unknown>>): void {
  for (const el of document.querySelectorAll<HTMLElement>(`[data-island="${name}"]`)) {
    let props: Record<string, unknown> = {};
    try {
      props = JSON.parse(el.dataset.props ?? "{}");
    } catch {
      console.error(`Island ${name}: data-props is not JSON; rendering with no props`);
    }
    hydrate(h(component, props), el);
    el.dataset.hydrated = "true";
  }
}
