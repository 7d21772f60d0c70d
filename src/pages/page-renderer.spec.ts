import { PageRenderer } from './page-renderer.js';

describe(PageRenderer.name, () => {
  const renderer = new PageRenderer();

  it('fills placeholders with HTML-escaped values', () => {
    const html = renderer.render('about', {
      lang: 'en',
      version: '<script>alert(1)</script>',
      protocol: '"quoted" & \'single\'',
      pid: 42,
      node: 'v24',
    });

    expect(html).toContain('<dd id="version">&lt;script&gt;alert(1)&lt;/script&gt;</dd>');
    expect(html).toContain('<dd id="protocol">&quot;quoted&quot; &amp; &#39;single&#39;</dd>');
    expect(html).toContain('<dd id="pid">42</dd>');
    expect(html).not.toContain('<script>alert');
  });

  it('leaves placeholders it has no value for untouched', () => {
    expect(renderer.render('index', {})).toContain('<html lang="{{lang}}">');
  });

  it.each(['index', 'about', '404'] as const)('renders %s with its language', (name) => {
    expect(renderer.render(name, { lang: 'ko' })).toContain('<html lang="ko">');
  });
});
