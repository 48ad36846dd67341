// Keyboard navigation for the main pages (press ? for the list). Keys are ignored while typing in a field.
(() => {
    const pages = { e: 'experiments', n: 'experiments/new', c: 'compare', l: 'leaderboards', s: 'suites', d: 'datasets', a: 'agents' };
    const help = [
        ['/', 'search: the runs filter, or the log search on a run page'],
        ['j / k', 'next / previous row of a table'],
        ['Enter or o', 'open the selected row'],
        ['x', 'select the row (runs table)'],
        ['g then e, n, c, l, s, d, a', 'go to experiments, new experiment, compare, leaderboards, suites, datasets, agents'],
        ['d', 'dark mode on or off'],
        ['?', 'this list'],
        ['Esc', 'leave a field, close this list'],
    ];
    let waitingForPage = false;
    const typing = t => t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
    const go = path => (window.Blazor && Blazor.navigateTo) ? Blazor.navigateTo(path) : (location.href = path);

    const rows = () => [...document.querySelectorAll('table tbody tr')].filter(r => r.querySelector('a[href]') && r.offsetParent !== null);
    function move(step) {
        const all = rows();
        if (all.length === 0) return;
        const current = all.indexOf(document.activeElement);
        const next = all[current < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, current + step))];
        next.tabIndex = -1;
        next.classList.add('kb-row');
        next.focus();
        next.scrollIntoView({ block: 'nearest' });
    }

    function toggleHelp() {
        let box = document.getElementById('kb-help');
        if (box) { box.remove(); return; }
        box = document.createElement('div');
        box.id = 'kb-help';
        box.setAttribute('role', 'dialog');
        box.setAttribute('aria-label', 'Keyboard shortcuts');
        box.dataset.testid = 'keyboard-help';
        const table = document.createElement('table');
        for (const [keys, what] of help) {
            const tr = table.insertRow();
            const k = tr.insertCell(); k.textContent = keys; k.className = 'kb-keys';
            tr.insertCell().textContent = what;
        }
        const title = document.createElement('strong');
        title.textContent = 'Keyboard shortcuts';
        box.append(title, table);
        box.addEventListener('click', () => box.remove());
        document.body.appendChild(box);
    }

    document.addEventListener('keydown', e => {
        if (e.ctrlKey || e.metaKey || e.altKey) return;
        if (e.key === 'Escape') {
            document.getElementById('kb-help')?.remove();
            if (typing(e.target)) e.target.blur();
            return;
        }
        if (typing(e.target)) return;
        if (waitingForPage) {
            waitingForPage = false;
            if (pages[e.key]) { e.preventDefault(); go(pages[e.key]); }
            return;
        }
        const row = document.activeElement && document.activeElement.classList.contains('kb-row') ? document.activeElement : null;
        switch (e.key) {
            case '/': {
                const box = document.querySelector("input[data-testid='filter-query'], input[data-testid='log-search']");
                if (box) { e.preventDefault(); box.focus(); box.select(); }
                break;
            }
            case 'j': e.preventDefault(); move(1); break;
            case 'k': e.preventDefault(); move(-1); break;
            case 'Enter': case 'o':
                if (row) { e.preventDefault(); row.querySelector('a[href]').click(); }
                break;
            case 'x':
                if (row) { e.preventDefault(); row.querySelector('input[type=checkbox]')?.click(); }
                break;
            case 'g': waitingForPage = true; setTimeout(() => waitingForPage = false, 1500); break;
            case 'd': document.querySelector("[data-testid='dark-mode']")?.click(); break;
            case '?': toggleHelp(); break;
        }
    });
})();
