/**
 * Fills the name slots of a page (NameSlot.tsx) with names this browser opened. The slots are
 * server-rendered outside any island, so writing their text does not fight a component.
 * Browser-only.
 *
 * @module
 */

/** Puts `name` into every slot for `of` (`family`, `member:<key>`). */
export function fillNameSlots(of: string, name: string, state: "local" | "open"): void {
  for (const el of document.querySelectorAll<HTMLElement>(`[data-name="${CSS.escape(of)}"]`)) {
    el.textContent = el.dataset.nameForm === "initial" ? [...name][0].toUpperCase() : name;
    el.dataset.nameState = state;
    el.removeAttribute("title");
  }
}

/** Marks the slots nothing filled, saying why in a tooltip; they keep their placeholder. */
export function markUnreadSlots(why: string): void {
  for (const el of document.querySelectorAll<HTMLElement>("[data-name]")) {
    if (el.dataset.nameState === "open") continue;
    el.dataset.nameState = "locked";
    el.title = why;
  }
}
